import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { parseAttack } from '../../src/attacks/attack-spec.ts';
import { selectBackend, type BackendInfo } from '../../src/backend/select-backend.ts';
import { parseDataSpec } from '../../src/data/dataset.ts';
import { WeightscapeError } from '../../src/errors.ts';
import { evaluateCheckpoint, type EvalResult } from '../../src/eval/evaluate-checkpoint.ts';
import { mergeEvaluations } from '../../src/eval/merge-evaluations.ts';
import { evalSchema } from '../../src/results/eval-schema.ts';

const BIN = fileURLToPath(new URL('../../bin/weightscape.js', import.meta.url));
const CONVNET = fileURLToPath(new URL('../../fixtures/attacks/convnet-mini.pt', import.meta.url));
const MODEL = { arch: 'convnet', options: { width: 8, hidden: 32, dropout: 0 } };
// 40 examples a split in batches of 8: five batches, so shard 1/3 has two of them (1 and 4).
const AUTOATTACK = 'autoattack:linf:eps=0.1:version=custom:attacks=apgd-ce+square:steps=5:queries=20';
const SOURCES = ['eval-0.json', 'eval-1.json', 'eval-2.json'];

let backend: BackendInfo;
const evaluate = (attack: string, shard?: { index: number; count: number }, seed = 3): EvalResult =>
  evaluateCheckpoint({
    checkpoint: CONVNET,
    data: parseDataSpec('mini'),
    subset: 40,
    attack: parseAttack(attack),
    model: MODEL,
    batchSize: 8,
    backend,
    seed,
    shard,
  });
const shards = (attack: string, count = 3) =>
  Array.from({ length: count }, (_, index) => evaluate(attack, { index, count }));
/** The result as its file holds it, less what differs between any two runs (when and how long). */
function withoutTiming(result: EvalResult) {
  const { provenance, ...rest } = JSON.parse(JSON.stringify(result)) as EvalResult;
  const { createdAt: _, wallSeconds: __, ...kept } = provenance;
  return { ...rest, provenance: kept };
}

test('eval shards of an AutoAttack run merge value for value into the one-process result, both splits', async () => {
  backend = await selectBackend('wasm');
  const whole = evaluate(AUTOATTACK);
  const before = tf.memory().numTensors;
  const parts = shards(AUTOATTACK);
  assert.equal(tf.memory().numTensors, before, 'a sharded evaluation leaves no tensors behind');
  // Each shard holds its own batches only, and says so; its metrics are over its own examples.
  assert.deepEqual(parts[1]!.shard, { index: 1, count: 3 });
  assert.deepEqual(
    parts[1]!.batches!.test!.records.map((r) => [r.batch, r.count]),
    [
      [1, 8],
      [4, 8],
    ],
  );
  assert.equal(parts[1]!.splits.test!.count, 16);
  assert.equal(
    parts[1]!.splits.test!.outcome,
    whole.splits.test!.outcome!.slice(8, 16) + whole.splits.test!.outcome!.slice(32, 40),
  );
  assert.ok(
    parts[1]!.notes.includes(
      "shard 1/3: metrics over this shard's batches only; join the shards with weightscape merge",
    ),
  );
  for (const part of parts) evalSchema.parse(JSON.parse(JSON.stringify(part)));

  // Through JSON, as merge reads the files.
  const merged = mergeEvaluations(
    parts.map((p) => JSON.parse(JSON.stringify(p)) as EvalResult),
    SOURCES,
  );
  assert.deepEqual(withoutTiming(merged), withoutTiming(whole));
  assert.equal(whole.splits.test!.outcome!.length, 40);
  assert.equal(whole.splits.train!.members!.length, 2);
  assert.ok(whole.splits.train!.pgdCheck !== undefined && whole.gap !== undefined);
  assert.equal(merged.shard, null);
  assert.equal(merged.batches, undefined);
  assert.equal(merged.provenance.data!.count, 80);
  assert.equal(
    merged.provenance.wallSeconds,
    parts.reduce((a, p) => a + p.provenance.wallSeconds, 0),
  );

  // Masking notes are the merged splits', not the shards': shards that each saw masking on their own
  // examples, and a PGD check that held every example, give one note per split with the merged numbers.
  const masked = parts.map((part) => {
    const copy = structuredClone(part);
    copy.notes.push("gradient masking suspected on the test split: this shard's own numbers");
    for (const { records } of Object.values(copy.batches!)) for (const r of records) r.checkCorrect = r.count;
    return copy;
  });
  const notes = mergeEvaluations(masked, SOURCES).notes;
  assert.deepEqual(
    notes.map((n) => n.replace(/ is far above .*/, '')),
    ['train', 'test'].map((s) => `gradient masking suspected on the ${s} split: PGD-10's robust accuracy 100.0%`),
  );
  assert.ok(
    notes[1]!.includes(
      `${AUTOATTACK.replace(':steps=5', ':steps=5:restarts=1:eot=1')}'s ${(100 * whole.splits.test!.robust!.accuracy).toFixed(1)}%`,
    ),
  );
});

test('more shards than batches: a shard without batches of a split records none and the merge is still exact', () => {
  const whole = evaluate('fgsm:eps=0.1');
  const parts = shards('fgsm:eps=0.1', 6);
  assert.equal(parts[5]!.splits.test, undefined);
  assert.deepEqual(parts[5]!.batches!.test, { examples: 40, records: [] });
  assert.match(parts[5]!.notes.at(-1)!, /^shard 5\/6: no batch of the train or test split here; /);
  const sources = parts.map((_, i) => `eval-${i}.json`);
  assert.deepEqual(withoutTiming(mergeEvaluations(parts, sources)), withoutTiming(whole));
});

test('merge refuses a shard of another attack or seed, overlapping batches and a missing batch, naming the file', () => {
  const parts = shards('fgsm:eps=0.1');
  const other = evaluate('fgsm:eps=0.2', { index: 2, count: 3 });
  const refused = (results: EvalResult[], pattern: RegExp) =>
    assert.throws(
      () => mergeEvaluations(results, SOURCES),
      (e: unknown) => e instanceof WeightscapeError && e.code === 'bad-file' && pattern.test(e.message),
    );
  refused(
    [parts[0]!, parts[1]!, other],
    /^eval-2\.json: not the same evaluation as eval-0\.json: its attack "pgd:linf:eps=0\.2:steps=1:/,
  );
  refused(
    [parts[0]!, parts[1]!, evaluate('fgsm:eps=0.1', { index: 2, count: 3 }, 4)],
    /^eval-2\.json: not the same evaluation as eval-0\.json: its seed 4 differs from 3$/,
  );
  const overlapping = structuredClone(parts[2]!);
  overlapping.batches!.test!.records.push(parts[1]!.batches!.test!.records[0]!);
  refused([parts[0]!, parts[1]!, overlapping], /^eval-2\.json: batch 1 of the test split is also in eval-1\.json$/);
  const missing = structuredClone(parts[2]!);
  missing.batches!.train!.records = [];
  refused([parts[0]!, parts[1]!, missing], /^eval-2\.json: batch 2 of the train split is missing$/);
  refused([evaluate('fgsm:eps=0.1'), parts[1]!, parts[2]!], /^eval-0\.json: not a shard of an evaluation/);
});

test('eval --shard auto in a Slurm array task evaluates its batches and records the shard', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ws-eval-shard-'));
  const out = join(dir, 'eval.json');
  const args = [BIN, 'eval', '--checkpoint', CONVNET, ...'--arch convnet --width 8 --hidden 32 --data mini'.split(' ')];
  const result = spawnSync(
    process.execPath,
    [...args, ...'--split test --subset 40 --batch-size 8 --shard auto --out'.split(' '), out],
    {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '2', SLURM_ARRAY_TASK_MIN: '0' },
    },
  );
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stderr, /^shard 1\/2 \(Slurm array task 1/m);
  assert.match(result.stdout, /attack none, shard 1\/2 \(its batches only\)/);
  const json = JSON.parse(readFileSync(out, 'utf8')) as EvalResult;
  assert.deepEqual(json.shard, { index: 1, count: 2 });
  assert.deepEqual(
    json.batches!.test!.records.map((r) => r.batch),
    [1, 3],
  );
  assert.equal(json.splits.test!.count, 16);
  rmSync(dir, { recursive: true, force: true });
});
