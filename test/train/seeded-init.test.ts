import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/select-backend.ts';
import { initWeights } from '../../src/train/init-weights.ts';
import { seededNormal } from '../../src/random.ts';
import { mnistConvnet } from '../helpers/model-configs.ts';

before(async () => {
  await selectBackend('wasm');
});

const CONVNET = mnistConvnet(8, 16);

test('initWeights with seed 0 (the CLI default) gives the same weights every time', () => {
  // tf.randomNormal takes seed 0 as "no seed": the first conv layer, seeded with 0·1009 + 0, was random.
  const first = initWeights(CONVNET, 0);
  const second = initWeights(CONVNET, 0);
  for (const [name, t] of Object.entries(first.params)) {
    assert.deepEqual(Array.from(t.dataSync()), Array.from(second.params[name]!.dataSync()), name);
  }
  const other = initWeights(CONVNET, 1);
  const name = Object.keys(first.params)[0]!;
  assert.notDeepEqual(Array.from(first.params[name]!.dataSync()), Array.from(other.params[name]!.dataSync()));
  tf.dispose([first, second, other].flatMap((w) => [...Object.values(w.params), ...Object.values(w.state)]));
});

test('seededNormal: seed 0 is reproducible, distinct from seed 1, and standard normal', () => {
  const [a, b, c] = [seededNormal([20000], 0, 1, 0), seededNormal([20000], 0, 1, 0), seededNormal([20000], 0, 1, 1)];
  assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()));
  assert.notDeepEqual(Array.from(a.dataSync()), Array.from(c.dataSync()));
  const values = Array.from(a.dataSync());
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
  // 20000 draws: the mean's standard error is 0.007, the variance's 0.01.
  assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.05, `variance ${variance}`);
  tf.dispose([a, b, c]);
});
