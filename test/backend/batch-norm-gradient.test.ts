import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { checkGradients, normalInput } from '../helpers/gradient-check.ts';
import { batchNorm, channelMoments } from '../helpers/reference-ops.ts';

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
