import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { formatFlatnessTable } from '../../cli/flatness.ts';
import { parseAttack } from '../../src/attacks/attack-spec.ts';
import { selectBackend } from '../../src/backend/select-backend.ts';
import { runChecks } from '../../src/check/run-checks.ts';
import { parseDataSpec } from '../../src/data/dataset.ts';
import { measureFlatness, type FlatnessRequest, type FlatnessResult } from '../../src/landscape/flatness.ts';
import { mergeFlatness } from '../../src/landscape/merge-flatness.ts';
import { readReportInputs } from '../../src/report/build-report.ts';
import { readResult } from '../../src/results/read-result.ts';

const BIN = fileURLToPath(new URL('../../bin/weightscape.js', import.meta.url));
const CHECKPOINT = fileURLToPath(new URL('../../fixtures/models/convnet-mnist.safetensors', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'weightscape-flatness-shards-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const SOURCES = ['shard-0.json', 'shard-1.json', 'shard-2.json'];
const copy = (r: FlatnessResult) => structuredClone(r);
const withoutProvenance = ({ provenance: _, ...rest }: FlatnessResult) => rest;

/** The run in one process, its 3 shards (with each shard's progress total), computed once for all tests. */
const runs = (async () => {
  const backend = await selectBackend('wasm');
  const request: FlatnessRequest = {
    checkpoint: CHECKPOINT,
    data: parseDataSpec('mini'),
    split: 'test',
    subset: 32,
    rho: 0.3,
    rhoAdversarial: 0.02,
    directions: 4,
    attack: parseAttack('pgd:linf:eps=0.1:steps=2'),
    hessian: true,
    hessianBatches: 1,
    batchSize: 32,
    seed: 3,
    model: {},
    backend,
  };
  const whole = measureFlatness(request);
  const totals: number[] = [];
  const tensors = tf.memory().numTensors;
  const shards = [0, 1, 2].map((index) =>
    measureFlatness({ ...request, shard: { index, count: 3 }, onProgress: (_, total) => (totals[index] = total) }),
  );
  return { whole, shards, totals, leaked: tf.memory().numTensors - tensors };
})();

test('3 shards of flatness merge into exactly the one-process result, every measure and direction', async () => {
  const { whole, shards, totals, leaked } = await runs;
  assert.equal(leaked, 0, 'no tensor left behind');
  // Shard 0: directions 0 and 3, θ, the adversarial direction, 2 Hessians; shards 1 and 2: one direction and θ.
  assert.deepEqual(totals, [1 + 2 * 2 + 1 + 2, 1 + 2, 1 + 2]);
  assert.deepEqual(
    shards.map((s) => s.perDirection.map((d) => d.m)),
    [[0, 3], [1], [2]],
  );
  assert.deepEqual(shards[1]!.shard, { index: 1, count: 3 });
  assert.equal(shards[1]!.adversarial!.adversarialDirectionIncrease, null);
  assert.equal(shards[1]!.clean.hessianTopEigenvalue, null);
  assert.equal(typeof shards[0]!.adversarial!.hessianTopEigenvalue, 'number');
  assert.match(shards[1]!.notes.at(-1)!, /^shard 1\/3: measures over random directions 1 only; .*weightscape merge/);
  assert.equal(whole.shard, null);
  assert.deepEqual(
    whole.perDirection.map((d) => d.m),
    [0, 1, 2, 3],
  );

  const merged = mergeFlatness(shards, SOURCES);
  assert.deepEqual(withoutProvenance(merged), withoutProvenance(whole));
  assert.equal(merged.adversarial!.curvature, whole.adversarial!.curvature);
  assert.equal(
    merged.provenance.wallSeconds,
    shards.reduce((sum, s) => sum + s.provenance.wallSeconds, 0),
  );
  assert.ok(whole.clean.maxIncrease > whole.clean.averageIncrease, 'the directions differ');
});

test('a shard result is valid, says which shard in its table, and report and check refuse it', async () => {
  const { shards } = await runs;
  const path = join(dir, 'shard-1.json');
  writeFileSync(path, JSON.stringify(shards[1]));
  assert.deepEqual(readResult(path, 'flatness').shard, { index: 1, count: 3 });
  const table = formatFlatnessTable(shards[1]!);
  assert.match(
    table.split('\n')[0]!,
    /^shard 1\/3: over random directions 1 of 4 only; Δ\(ρ_adv\) and λmax .* shard 0/,
  );
  assert.throws(() => readReportInputs([path]), /shard-1\.json: shard 1\/3 of a split run.*weightscape merge first/);
  assert.throws(
    () => runChecks({ checks: [{ metric: 'clean.averageIncrease', max: 1 }] } as never, [{ path, json: shards[1] }]),
    /shard-1\.json: shard 1\/3 of a split run/,
  );
});

test('merge refuses shards of another measurement or with a missing or repeated direction, naming the file', async () => {
  const { shards } = await runs;
  const otherRho = copy(shards[1]!);
  otherRho.settings.rho = 0.5;
  assert.throws(
    () => mergeFlatness([shards[0]!, otherRho, shards[2]!], SOURCES),
    (e: Error) => e.message === 'shard-1.json: other settings than shard-0.json (rho 0.5 vs 0.3)',
  );
  const repeated = copy(shards[2]!);
  repeated.perDirection.push(repeated.perDirection[0]!);
  assert.throws(() => mergeFlatness([shards[0]!, shards[1]!, repeated], SOURCES), {
    code: 'bad-file',
    message: 'shard-2.json: direction 2 appears twice',
  });
  const missing = copy(shards[0]!);
  missing.perDirection.pop();
  assert.throws(
    () => mergeFlatness([missing, shards[1]!, shards[2]!], SOURCES),
    /shard-0\.json: direction 3 of 4 is missing/,
  );
  const otherTheta = copy(shards[2]!);
  otherTheta.clean.atTheta += 1e-9;
  assert.throws(() => mergeFlatness([shards[0]!, shards[1]!, otherTheta], SOURCES), /shard-2\.json: clean loss at θ/);
  const otherCheckpoint = copy(shards[1]!);
  otherCheckpoint.provenance.checkpoint!.sha256 = '0'.repeat(64);
  assert.throws(
    () => mergeFlatness([shards[0]!, otherCheckpoint, shards[2]!], SOURCES),
    /shard-1\.json: another checkpoint/,
  );
});

test('weightscape flatness --shard without --out: exit 2 before any work', () => {
  const run = spawnSync(
    process.execPath,
    [BIN, 'flatness', '--checkpoint', CHECKPOINT, '--data', 'mini', '--shard', '1/3'],
    { encoding: 'utf8' },
  );
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /--shard: give --out/);
});
