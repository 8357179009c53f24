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

test('batchNorm gradient with given statistics (eval mode): x, mean, variance, offset, scale', async () => {
  const variance = normalInput('variance', [CHANNELS], 23);
  variance.data = variance.data.map((v) => 0.5 + v * v);
  await checkGradients({
    inputs: [normalInput('x', SHAPE, 21), normalInput('mean', [CHANNELS], 22, 0.3), variance,
      normalInput('offset', [CHANNELS], 24), normalInput('scale', [CHANNELS], 25)],
    tfjs: (x, mean, v, offset, scale) => tf.batchNorm(x!, mean!, v!, offset, scale, EPSILON),
    reference: (x, mean, v, offset, scale) => batchNorm(x!, CHANNELS, mean!, v!, offset!, scale!, EPSILON),
  });
});

test('batchNorm gradient in train mode (batch statistics): x, offset, scale', async () => {
  await checkGradients({
    inputs: [normalInput('x', SHAPE, 31, 2), normalInput('offset', [CHANNELS], 32), normalInput('scale', [CHANNELS], 33)],
    tfjs: (x, offset, scale) => {
      const { mean, variance } = tf.moments(x!, [0, 1, 2]);
      return tf.batchNorm(x!, mean, variance, offset, scale, EPSILON);
    },
    reference: (x, offset, scale) => {
      const { mean, variance } = channelMoments(x!, CHANNELS);
      return batchNorm(x!, CHANNELS, mean, variance, offset!, scale!, EPSILON);
    },
  });
});

test('batchNormTrain (fused op, closed-form gradient): x, scale, offset', async () => {
  await checkGradients({
    inputs: [normalInput('x', SHAPE, 34, 2), normalInput('scale', [CHANNELS], 35), normalInput('offset', [CHANNELS], 36)],
    tfjs: (x, scale, offset) => batchNormTrain(x!, scale!, offset!, EPSILON),
    reference: (x, scale, offset) => {
      const { mean, variance } = channelMoments(x!, CHANNELS);
      return batchNorm(x!, CHANNELS, mean, variance, offset!, scale!, EPSILON);
    },
  });
});

test('channelMoments matches the float64 mean and biased variance', async () => {
  await selectBackend('wasm');
  const input = normalInput('x', SHAPE, 37, 3);
  const expected = channelMoments(input.data, CHANNELS);
  const x = tf.tensor(Float32Array.from(input.data), SHAPE);
  const { mean, variance } = tfChannelMoments(x);
  const close = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).every((v, i) => Math.abs(v - b[i]!) < 1e-5 * Math.max(1, Math.abs(b[i]!)));
  assert.ok(close(mean.dataSync(), expected.mean), 'mean');
  assert.ok(close(variance.dataSync(), expected.variance), 'variance');
  tf.dispose([x, mean, variance]);
});
