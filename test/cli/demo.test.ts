import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareDemoDirectory, writeDemoManifest } from '../../src/demo/demo-directory.ts';
import { savedEpochs } from '../../src/demo/run-demo.ts';
import { readResult } from '../../src/results/read-result.ts';

const dir = mkdtempSync(join(tmpdir(), 'weightscape-demo-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

test('weightscape demo --quick (2 epochs, a small study) trains both runs with saved epochs, studies them and prints the reading', () => {
  const bin = fileURLToPath(new URL('../../bin/weightscape.js', import.meta.url));
  const out = join(dir, 'demo');
  const run = spawnSync(process.execPath, [bin, 'demo', '--quick', '--out', out], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^report: .*index\.html/m);
  assert.match(run.stdout, /^pgd-at\s+\d+\.\d%\s+\d+\.\d%\s+-?\d+\.\d\s+-?\d+\.\d\s+\d+\.\d% \(epoch \d\)/m);
  assert.match(run.stdout, /^pgd-at-awp\s+/m);
  assert.match(run.stdout, /^PGD-AT's robust gap (grows|does not grow) from/m);
  const study = readResult(join(out, 'study.json'), 'study');
  // Epochs 1 and 2 of both runs.
  assert.deepEqual(
    study.checkpoints.map((c) => `${c.run}@${c.epoch}`),
    ['pgd-at@1', 'pgd-at@2', 'pgd-at-awp@1', 'pgd-at-awp@2'],
  );
  const gap = study.checkpoints[1]!.gap!.accuracy;
  assert.match(
    run.stdout,
    new RegExp(`^pgd-at\\s+\\S+\\s+\\S+\\s+${(100 * gap).toFixed(1).replace('.', '\\.')}\\s`, 'm'),
  );
  for (const file of ['index.html', 'robust-accuracy-by-epoch.svg', 'flatness-vs-gap.svg', 'study-table.md'])
    assert.ok(existsSync(join(out, file)), `${file} written`);
  assert.equal(readResult(join(out, 'runs', 'pgd-at-awp', 'log.json'), 'train log').config.awp, true);
  const manifest = JSON.parse(readFileSync(join(out, 'demo-manifest.json'), 'utf8')) as { written: string[] };
  assert.ok(manifest.written.includes('runs') && manifest.written.includes('index.html'));
});

test('the demo replaces an earlier demo (exactly what its manifest lists) and refuses a directory with other files', () => {
  const earlier = join(dir, 'earlier');
  mkdirSync(join(earlier, 'runs', 'pgd-at'), { recursive: true });
  writeFileSync(join(earlier, 'index.html'), 'old');
  writeDemoManifest(earlier, ['runs', 'index.html']);
  assert.equal(prepareDemoDirectory(earlier), true);
  assert.equal(existsSync(join(earlier, 'runs')) || existsSync(join(earlier, 'index.html')), false);

  const mixed = join(dir, 'mixed');
  mkdirSync(mixed);
  writeFileSync(join(mixed, 'index.html'), 'old');
  writeFileSync(join(mixed, 'notes.txt'), 'mine');
  writeDemoManifest(mixed, ['index.html']);
  assert.throws(() => prepareDemoDirectory(mixed), /--out .*mixed: holds files the demo did not write \(notes\.txt\)/);
  assert.equal(readFileSync(join(mixed, 'notes.txt'), 'utf8'), 'mine');
  assert.equal(readFileSync(join(mixed, 'index.html'), 'utf8'), 'old', 'nothing removed when refusing');

  // A manifest naming a path outside the directory is not obeyed.
  const hostile = join(dir, 'hostile');
  mkdirSync(hostile);
  writeFileSync(
    join(hostile, 'demo-manifest.json'),
    JSON.stringify({ schema: 'weightscape.demo-manifest/1', written: ['../earlier'] }),
  );
  assert.throws(() => prepareDemoDirectory(hostile), /not a weightscape demo manifest/);
  assert.equal(prepareDemoDirectory(join(dir, 'new')), false);
});

test('saved epochs: evenly spaced, ending at the last epoch', () => {
  assert.deepEqual(savedEpochs(60, 8, 5 / 12), [25, 30, 35, 40, 45, 50, 55, 60]);
  assert.deepEqual(savedEpochs(60, 6, 0), [1, 13, 25, 36, 48, 60]);
  assert.deepEqual(savedEpochs(2, 8, 5 / 12), [1, 2]);
  assert.deepEqual(savedEpochs(3, 8, 1), [3]);
});

test("demo's default --out is not the committed example, so `npx weightscape demo` with no flags runs on a fresh clone", async () => {
  const { buildProgram } = await import('../../cli/main.ts');
  const demo = buildProgram().commands.find((c) => c.name() === 'demo')!;
  const out = demo.options.find((o) => o.long === '--out')!.defaultValue as string;
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const tracked = spawnSync('git', ['ls-files', out], { cwd: root, encoding: 'utf8' });
  if (tracked.error !== undefined) return; // not a git checkout (an unpacked package): nothing is committed
  assert.equal(
    tracked.stdout,
    '',
    `${out} holds committed files, so a plain demo run on a fresh clone refuses to replace them`,
  );
  assert.equal(
    spawnSync('git', ['check-ignore', '-q', `${out}/index.html`], { cwd: root }).status,
    0,
    `${out} is ignored by git`,
  );
});
