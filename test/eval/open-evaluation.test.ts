import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { parseAttack } from '../../src/attacks/attack-spec.ts';
import { selectBackend } from '../../src/backend/select-backend.ts';
import { saveNativeCheckpoint } from '../../src/checkpoints/native-checkpoint.ts';
import { parseDataSpec } from '../../src/data/dataset.ts';
import { WeightscapeError } from '../../src/errors.ts';
import { evaluateCheckpoint } from '../../src/eval/evaluate-checkpoint.ts';
import { openEvaluation } from '../../src/eval/open-evaluation.ts';
import { measureFlatness } from '../../src/landscape/flatness.ts';
import type { ModelConfig } from '../../src/models/types.ts';
import { initWeights } from '../../src/train/init-weights.ts';
import { npyBytes } from '../helpers/npy-writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'weightscape-open-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const CONVNET = fileURLToPath(new URL('../../fixtures/attacks/convnet-mini.pt', import.meta.url));
const MINI = parseDataSpec('mini');

/** A tiny BatchNorm network whose checkpoint lacks one num_batches_tracked (as PyTorch < 0.4.1 wrote them). */
function checkpointWithoutBnCount(): string {
  const config: ModelConfig = {
    arch: 'preact-resnet18',
    options: { width: 2 },
    input: { height: 28, width: 28, channels: 1 },
    classes: 10,
  };
  const weights = initWeights(config, 0);
  const count = Object.keys(weights.state).find((name) => name.endsWith('num_batches_tracked'))!;
  weights.state[count]!.dispose();
  delete weights.state[count];
  const path = join(dir, 'no-bn-count.safetensors');
  saveNativeCheckpoint(path, weights, config);
  tf.dispose([...Object.values(weights.params), ...Object.values(weights.state)]);
  return path;
}

test('openEvaluation: the splits in the order asked, the resolved model, and weights that dispose disposes', async () => {
  await selectBackend('wasm');
  const before = tf.memory().numTensors;
  const opened = openEvaluation({
    checkpoint: CONVNET,
    data: MINI,
    splits: ['test', 'train'],
    subset: 20,
    seed: 1,
    model: { arch: 'convnet', options: { width: 8, hidden: 32, dropout: 0 } },
  });
  assert.deepEqual(
    opened.data.map((d) => d.spec),
    ['mini/test[subset 20, seed 1]', 'mini/train[subset 20, seed 1]'],
  );
  assert.equal(opened.config.classes, 10);
  assert.deepEqual(opened.config.input, { height: 28, width: 28, channels: 1 });
  assert.ok(tf.memory().numTensors > before);
  opened.dispose();
  assert.equal(tf.memory().numTensors, before);
});

test('openEvaluation: labels outside --classes are refused before any weight is mapped (the class rule of every command)', async () => {
  await selectBackend('wasm');
  const before = tf.memory().numTensors;
  assert.throws(
    () =>
      openEvaluation({
        checkpoint: CONVNET,
        data: MINI,
        splits: ['test'],
        subset: 20,
        seed: 0,
        model: { arch: 'convnet', options: { width: 8, hidden: 32, dropout: 0 }, classes: 5 },
      }),
    (e: unknown) =>
      e instanceof WeightscapeError &&
      /mini\/test\[subset 20, seed 0\]: label \d of image \d+ is outside 0\.\.4/.test(e.message),
  );
  assert.equal(tf.memory().numTensors, before);
});

test("the weight mapping's notes reach flatness as they reach eval (flatness dropped them)", async () => {
  const backend = await selectBackend('wasm');
  const checkpoint = checkpointWithoutBnCount();
  const opened = openEvaluation({ checkpoint, data: MINI, splits: ['test'], subset: 10, seed: 0, model: {} });
  opened.dispose();
  const missing = opened.notes.filter((n) => /num_batches_tracked missing: starting the count at 0/.test(n));
  assert.equal(missing.length, 1, opened.notes.join('; '));
  const flat = measureFlatness({
    checkpoint,
    data: MINI,
    split: 'test',
    subset: 10,
    rho: 0.1,
    rhoAdversarial: 0.01,
    directions: 1,
    attack: parseAttack('none'),
    hessian: false,
    hessianBatches: 1,
    batchSize: 10,
    seed: 0,
    model: {},
    backend,
  });
  assert.ok(flat.notes.includes(missing[0]!), flat.notes.join('; '));
});

test('eval of npy data (one set, the test split) with --split train is a clear user error, not a TypeError', async () => {
  const backend = await selectBackend('wasm');
  const images = join(dir, 'images.npy');
  const labels = join(dir, 'labels.npy');
  writeFileSync(images, npyBytes('|u1', [4, 28, 28], new Uint8Array(4 * 28 * 28)));
  writeFileSync(labels, npyBytes('|u1', [4], new Uint8Array([0, 1, 2, 3])));
  const data = parseDataSpec(`npy:${images},${labels}`);
  assert.throws(
    () =>
      evaluateCheckpoint({
        checkpoint: CONVNET,
        data,
        splits: ['train'],
        attack: parseAttack('none'),
        model: {},
        batchSize: 4,
        backend,
        seed: 0,
      }),
    (e: unknown) =>
      e instanceof WeightscapeError &&
      e.isUserError &&
      e.message === `--split train: ${data.text} has only the test split (npy data is evaluated as one set)`,
  );
});
