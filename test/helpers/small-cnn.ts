/**
 * A small residual CNN for the backend tests: every op a ResNet needs, in one readable network.
 *   conv1 3×3 (c→w) + BN + ReLU
 *   conv2 3×3 stride 2 (w→2w) + BN, shortcut 1×1 stride 2 (w→2w), add, ReLU
 *   max pool 2×2
 *   conv3 3×3 (2w→2w) + BN + ReLU
 *   global average pool, linear (2w→classes)
 * Convolutions pad like PyTorch's padding=1.
 */
import * as tf from '@tensorflow/tfjs';
import { seededNormal } from '../../src/random.ts';
import { batchNormTrain } from '../../src/backend/batch-norm-train.ts';

export type SmallCnnParams = Record<string, tf.Tensor>;

export interface SmallCnnShape {
  inputSize: number;
  inChannels: number;
  width: number;
  classes: number;
}

const TORCH_PADDING: [[number, number], [number, number], [number, number], [number, number]] = [
  [0, 0],
  [1, 1],
  [1, 1],
  [0, 0],
];
export const BN_EPSILON = 1e-5;

/** Parameter shapes (HWIO filters, in×out linear weight). */
export function smallCnnParamShapes({ inChannels, width, classes }: SmallCnnShape): Record<string, number[]> {
  const w2 = 2 * width;
  return {
    'conv1.weight': [3, 3, inChannels, width],
    'bn1.weight': [width],
    'bn1.bias': [width],
    'conv2.weight': [3, 3, width, w2],
    'bn2.weight': [w2],
    'bn2.bias': [w2],
    'shortcut.weight': [1, 1, width, w2],
    'conv3.weight': [3, 3, w2, w2],
    'bn3.weight': [w2],
    'bn3.bias': [w2],
    'fc.weight': [w2, classes],
    'fc.bias': [classes],
  };
}

/** He-style random parameters, BN scale 1 and offset 0. */
export function initSmallCnn(shape: SmallCnnShape, seed: number): SmallCnnParams {
  const params: SmallCnnParams = {};
  let s = seed;
  for (const [name, dims] of Object.entries(smallCnnParamShapes(shape))) {
    if (name.startsWith('bn')) params[name] = name.endsWith('weight') ? tf.ones(dims) : tf.zeros(dims);
    else if (name === 'fc.bias') params[name] = tf.zeros(dims);
    else {
      const fanIn = dims.slice(0, -1).reduce((a, b) => a * b, 1);
      params[name] = seededNormal(dims, 0, Math.sqrt(2 / fanIn), s++);
    }
  }
  return params;
}

function batchNorm(x: tf.Tensor4D, scale: tf.Tensor, offset: tf.Tensor): tf.Tensor4D {
  return batchNormTrain(x, scale, offset, BN_EPSILON).y as tf.Tensor4D;
}

/** Logits of the small CNN with batch statistics (train-mode BatchNorm). */
export function smallCnnLogits(p: SmallCnnParams, x: tf.Tensor4D): tf.Tensor2D {
  const conv = (input: tf.Tensor4D, name: string, stride: number) =>
    tf.conv2d(input, p[name] as tf.Tensor4D, stride, p[name]!.shape[0] === 1 ? 'valid' : TORCH_PADDING);
  const h1 = tf.relu(batchNorm(conv(x, 'conv1.weight', 1), p['bn1.weight']!, p['bn1.bias']!));
  const h2 = tf.relu(
    tf.add(batchNorm(conv(h1, 'conv2.weight', 2), p['bn2.weight']!, p['bn2.bias']!), conv(h1, 'shortcut.weight', 2)),
  );
  const pooled = tf.maxPool(h2 as tf.Tensor4D, 2, 2, 'valid');
  const h3 = tf.relu(batchNorm(conv(pooled, 'conv3.weight', 1), p['bn3.weight']!, p['bn3.bias']!));
  const size = h3.shape[1];
  const features = tf.reshape(tf.avgPool(h3, size, size, 'valid'), [x.shape[0], -1]) as tf.Tensor2D;
  return tf.add(tf.matMul(features, p['fc.weight'] as tf.Tensor2D), p['fc.bias']!);
}

/** Mean cross-entropy of logits against integer labels (natural log). */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  const classes = logits.shape[1];
  return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(labels, classes)), 1))) as tf.Scalar;
}
