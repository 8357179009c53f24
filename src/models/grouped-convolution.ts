/**
 * PyTorch's Conv2d with groups on tfjs, which has no grouped convolution: the filter stays in the
 * HWIO layout of every convolution ([kh, kw, in/groups, out], PyTorch's [out, in/groups, kh, kw]
 * transposed). Depthwise convolutions (one input channel per group) run as tfjs's depthwise
 * convolution (whose WASM gradients are src/backend/gradients/depthwise-conv2d-gradient.ts),
 * other groups as one convolution each.
 */
import * as tf from '@tensorflow/tfjs';
import { WeightscapeError } from '../errors.ts';

/** Symmetric zero padding as tfjs's explicit padding (or 'valid'). */
function explicitPadding(padding: number): 'valid' | tf.backend_util.ExplicitPadding {
  return padding === 0
    ? 'valid'
    : [
        [0, 0],
        [padding, padding],
        [padding, padding],
        [0, 0],
      ];
}

/** PyTorch's Conv2d (no bias) with symmetric zero padding and `groups`, on NHWC x and an HWIO filter. */
export function convLikeTorch(
  x: tf.Tensor,
  filter: tf.Tensor,
  stride: number,
  padding: number,
  groups: number,
): tf.Tensor4D {
  const [kh, kw, groupChannels, outChannels] = filter.shape as [number, number, number, number];
  const inChannels = x.shape[3]!;
  if (groupChannels * groups !== inChannels || outChannels % groups !== 0)
    throw new WeightscapeError(
      'shape-mismatch',
      `a convolution with ${groups} groups of ${inChannels} input and ${outChannels} output channels ` +
        `has a filter of ${groupChannels} input channels`,
    );
  const pad = explicitPadding(padding);
  if (groups === 1) return tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, stride, pad);
  const multiplier = outChannels / groups;
  if (groupChannels === 1) {
    // Output channel c·M + m reads input channel c: with M > 1 each input channel is repeated M
    // times first (on WASM, 2–3× faster forward and backward than tfjs's channel multiplier).
    const [n, h, w] = x.shape as [number, number, number];
    const repeated =
      multiplier === 1
        ? x
        : tf.reshape(tf.tile(tf.reshape(x, [n * h, w, inChannels, 1]), [1, 1, 1, multiplier]), [n, h, w, outChannels]);
    return tf.depthwiseConv2d(
      repeated as tf.Tensor4D,
      tf.reshape(filter, [kh, kw, outChannels, 1]) as tf.Tensor4D,
      stride,
      pad,
    );
  }
  const xs = tf.split(x as tf.Tensor4D, groups, 3);
  const filters = tf.split(filter as tf.Tensor4D, groups, 3);
  return tf.concat(
    xs.map((xg, g) => tf.conv2d(xg as tf.Tensor4D, filters[g] as tf.Tensor4D, stride, pad)),
    3,
  );
}
