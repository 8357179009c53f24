import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { checkGradients, normalInput } from '../helpers/gradient-check.ts';
import { batchNorm, channelMoments } from '../helpers/reference-ops.ts';
import { batchNormTrain, channelMoments as tfChannelMoments } from '../../src/backend/batch-norm-train.ts';
import assert from 'node:assert/strict';
import { selectBackend } from '../../src/backend/select-backend.ts';

const EPSILON = 1e-5;
const SHAPE = [3, 4, 4, 5];
const CHANNELS = 5;

/** BatchNorm with the batch's own statistics (train mode), in float64. */
function trainModeReference(x: Float64Array, offset: Float64Array, scale: Float64Array): Float64Array {
  const { mean, variance } = channelMoments(x, CHANNELS);
  return batchNorm(x, CHANNELS, mean, variance, offset, scale, EPSILON);
}

test('batchNorm gradient with given statistics (eval mode): x, mean, variance, offset, scale', async () => {
  const variance = normalInput('variance', [CHANNELS], 23);
  variance.data = variance.data.map((v) => 0.5 + v * v);
  await checkGradients({
    inputs: [
      normalInput('x', SHAPE, 21),
      normalInput('mean', [CHANNELS], 22, 0.3),
      variance,
      normalInput('offset', [CHANNELS], 24),
      normalInput('scale', [CHANNELS], 25),
    ],
    tfjs: (x, mean, v, offset, scale) => tf.batchNorm(x!, mean!, v!, offset, scale, EPSILON),
    reference: (x, mean, v, offset, scale) => batchNorm(x!, CHANNELS, mean!, v!, offset!, scale!, EPSILON),
  });
});

test('batchNorm gradient in train mode (batch statistics): x, offset, scale', async () => {
  await checkGradients({
    inputs: [
      normalInput('x', SHAPE, 31, 2),
      normalInput('offset', [CHANNELS], 32),
      normalInput('scale', [CHANNELS], 33),
    ],
    tfjs: (x, offset, scale) => {
      const { mean, variance } = tf.moments(x!, [0, 1, 2]);
      return tf.batchNorm(x!, mean, variance, offset, scale, EPSILON);
    },
    reference: (x, offset, scale) => trainModeReference(x!, offset!, scale!),
  });
});

test('batchNormTrain (fused op, closed-form gradient): x, scale, offset', async () => {
  await checkGradients({
    inputs: [
      normalInput('x', SHAPE, 34, 2),
      normalInput('scale', [CHANNELS], 35),
      normalInput('offset', [CHANNELS], 36),
    ],
    tfjs: (x, scale, offset) => batchNormTrain(x!, scale!, offset!, EPSILON).y,
    reference: (x, scale, offset) => trainModeReference(x!, offset!, scale!),
  });
});

test('channelMoments matches the float64 mean and biased variance', async () => {
  await selectBackend('wasm');
  const input = normalInput('x', SHAPE, 37, 3);
  const expected = channelMoments(input.data, CHANNELS);
  const x = tf.tensor(Float32Array.from(input.data), SHAPE);
  const { mean, variance } = tfChannelMoments(x);
  const close = (a: ArrayLike<number>, b: ArrayLike<number>) =>
    Array.from(a).every((v, i) => Math.abs(v - b[i]!) < 1e-5 * Math.max(1, Math.abs(b[i]!)));
  assert.ok(close(mean.dataSync(), expected.mean), 'mean');
  assert.ok(close(variance.dataSync(), expected.variance), 'variance');
  tf.dispose([x, mean, variance]);
});

test('batchNormTrain on wasm runs one kernel and returns the float64 batch statistics, also when |mean| ≫ std', async () => {
  await selectBackend('wasm');
  const input = normalInput('x', SHAPE, 38, 0.01);
  // Mean 1000, std 0.01: a float32 sum-of-squares formula loses every digit of the variance here.
  input.data = input.data.map((v) => 1000 + v);
  const expected = channelMoments(input.data, CHANNELS);
  const scale = normalInput('scale', [CHANNELS], 39);
  const offset = normalInput('offset', [CHANNELS], 40);
  const x = tf.tensor(Float32Array.from(input.data), SHAPE);
  const [s, o] = [tf.tensor(Float32Array.from(scale.data)), tf.tensor(Float32Array.from(offset.data))];
  const profile = await tf.profile(() => {
    tf.dispose(Object.values(batchNormTrain(x, s, o, EPSILON)));
  });
  assert.deepEqual(
    profile.kernels.map((k) => k.name),
    ['WeightscapeBatchNormTrain'],
  );
  const before = tf.memory().numTensors;
  const { y, mean, variance } = batchNormTrain(x, s, o, EPSILON);
  const relative = (a: ArrayLike<number>, b: ArrayLike<number>) =>
    Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!) / Math.max(Math.abs(b[i]!), 1e-12)));
  assert.ok(relative(mean.dataSync(), expected.mean) < 1e-6, 'mean');
  // The float32 input itself carries ~6e-5 of 1000: compare with the variance of what tfjs holds.
  const held = Float64Array.from(x.dataSync());
  const heldMoments = channelMoments(held, CHANNELS);
  assert.ok(
    relative(variance.dataSync(), heldMoments.variance) < 1e-4,
    `variance ${relative(variance.dataSync(), heldMoments.variance)}`,
  );
  const heldY = batchNorm(held, CHANNELS, heldMoments.mean, heldMoments.variance, offset.data, scale.data, EPSILON);
  const yError = Math.max(...Array.from(y.dataSync(), (v, i) => Math.abs(v - heldY[i]!)));
  assert.ok(yError < 2e-3, `y error ${yError}`);
  tf.dispose([y, mean, variance]);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, s, o]);
});

test('eval-mode batchNorm on wasm with scalar statistics and no scale matches the float64 formula', async () => {
  await selectBackend('wasm');
  const input = normalInput('x', SHAPE, 41, 2);
  const x = tf.tensor(Float32Array.from(input.data), SHAPE);
  const [mean, variance, offset] = [tf.scalar(0.25), tf.scalar(1.5), tf.scalar(-0.75)];
  const y = tf.batchNorm(x, mean, variance, offset, undefined, EPSILON);
  const expected = Array.from(input.data, (v) => (v - 0.25) / Math.sqrt(1.5 + EPSILON) - 0.75);
  const error = Math.max(...Array.from(y.dataSync(), (v, i) => Math.abs(v - expected[i]!)));
  assert.ok(error < 1e-5, `error ${error}`);
  tf.dispose([x, mean, variance, offset, y]);
});
