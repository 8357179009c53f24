import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LandscapeResult } from '../../src/landscape/sample-landscape.ts';

const BIN = fileURLToPath(new URL('../../bin/weightscape.js', import.meta.url));
const CHECKPOINT = fileURLToPath(new URL('../../fixtures/models/convnet-mnist.safetensors', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'weightscape-sample-cli-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function sample(...args: string[]) {
  const result = spawnSync(
    process.execPath,
    [BIN, '--backend', 'wasm', 'sample', '--checkpoint', CHECKPOINT, '--data', 'mini', '--subset', '16', ...args],
    { encoding: 'utf8', timeout: 120_000 },
  );
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('--range 0:0:5 exits 2 naming --range before computing or writing anything', () => {
  const out = join(dir, 'repeated.json');
  const { code, stderr } = sample('--range', '0:0:5', '--out', out);
  assert.equal(code, 2);
  assert.equal(
    stderr.trim(),
    'weightscape: --range 0:0:5: start equals stop, so all 5 points are the same; give different ends or count 1',
  );
  assert.equal(existsSync(out), false);
});

test('a grid without α = 0: flatness null, the summary line and a stderr note say why', () => {
  const out = join(dir, 'off-zero.json');
  const { code, stdout, stderr } = sample('--range', '0.5:1:3', '--out', out);
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stdout, /loss at 0/);
  assert.match(stdout, /^flatness not computed: the grid does not contain α = 0/m);
  assert.match(stderr, /^note: flatness not computed: the grid does not contain α = 0/m);
  const result = JSON.parse(readFileSync(out, 'utf8')) as { flatness: unknown; notes: string[] };
  assert.equal(result.flatness, null);
  assert.ok(result.notes.some((n) => n.startsWith('flatness not computed')));
});

test('--resume with other --mean/--std exits 2 naming the field and writes nothing (result and --save-direction untouched)', () => {
  const out = join(dir, 'sweep.json');
  const direction = join(dir, 'direction.safetensors');
  const first = sample('--range', '-1:1:3', '--out', out, '--save-direction', direction);
  assert.equal(first.code, 0, first.stderr);
  const before = {
    result: readFileSync(out),
    direction: readFileSync(direction),
    mtime: statSync(direction).mtimeMs,
    resultMtime: statSync(out).mtimeMs,
  };
  const resumed = sample(
    '--range',
    '-1:1:3',
    '--out',
    out,
    '--save-direction',
    direction,
    '--resume',
    '--mean',
    '0.5',
    '--std',
    '0.25',
  );
  assert.equal(resumed.code, 2);
  assert.match(
    resumed.stderr,
    /sweep\.json: not the same sweep as this run \(--resume\): identity\.model\.normalization differs \(absent vs \{"mean":\[0\.5\],"std":\[0\.25\]\}\)/,
  );
  assert.equal(resumed.stderr.trim().split('\n').length, 1);
  assert.deepEqual(readFileSync(direction), before.direction);
  assert.equal(statSync(direction).mtimeMs, before.mtime);
  assert.deepEqual(readFileSync(out), before.result);
  assert.equal(statSync(out).mtimeMs, before.resultMtime);
});

test('sample --resume continues a result written before attacks were recorded canonically (another spelling of the same attack)', () => {
  const out = join(dir, 'old-spelling.json');
  const args = ['--range', '-1:1:3', '--loss', 'adversarial', '--out', out];
  const first = sample(...args, '--attack', 'pgd:linf:eps=0.1:steps=1:step=0.04');
  assert.equal(first.code, 0, first.stderr);
  const written = JSON.parse(readFileSync(out, 'utf8')) as LandscapeResult;
  const canonical = 'pgd:linf:eps=0.1:steps=1:step=0.04:random-start=1:restarts=1:loss=ce';
  assert.equal(written.settings.attack, canonical);
  // The file as weightscape wrote it before: the user's spelling, and the last point not yet computed.
  const old = structuredClone(written);
  old.settings.attack = 'pgd:linf:eps=0.1:steps=1:step=0.04';
  old.values.cleanLoss[0]![2] = null;
  old.values.cleanAccuracy[0]![2] = null;
  old.values.robustLoss![0]![2] = null;
  old.values.robustAccuracy![0]![2] = null;
  old.complete = false;
  old.flatness = null;
  writeFileSync(out, JSON.stringify(old, null, 2));
  const resumed = sample(...args, '--attack', 'pgd:eps=0.1:step=0.04:steps=1:random-start=1', '--resume');
  assert.equal(resumed.code, 0, resumed.stderr);
  const result = JSON.parse(readFileSync(out, 'utf8')) as LandscapeResult;
  assert.equal(result.complete, true);
  assert.equal(result.settings.attack, canonical);
  assert.deepEqual(result.values, written.values);
});
