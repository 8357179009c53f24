/**
 * PyTorch's Conv2d with groups on tfjs, which has no grouped convolution: the filter stays in the
 * HWIO layout of every convolution ([kh, kw, in/groups, out], PyTorch's [out, in/groups, kh, kw]
 * transposed), and the groups run as one depthwise convolution with a channel multiplier (whose
 * WASM gradients are src/backend/gradients/depthwise-conv2d-gradient.ts) or, for groups of many
 * input channels, one convolution per group.
 */
import * as tf from '@tensorflow/tfjs';
import { WeightscapeError } from '../errors.ts';

/**
 * Input channels per group up to which the depthwise form is used: it makes in/groups partial
 * outputs per output (summed after), so its memory grows with them; the per-group form costs one
 * convolution per group.
 */
const DEPTHWISE_GROUP_CHANNELS = 4;

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
  if (groupChannels <= DEPTHWISE_GROUP_CHANNELS) {
    // Input channel g·I + i with multiplier m makes partial output (g·I + i)·M + m; output g·M + m sums over i.
    const depthwiseFilter =
      groupChannels === 1
        ? tf.reshape(filter, [kh, kw, inChannels, multiplier])
        : tf.reshape(tf.transpose(tf.reshape(filter, [kh, kw, groupChannels, groups, multiplier]), [0, 1, 3, 2, 4]), [
            kh,
            kw,
            inChannels,
            multiplier,
          ]);
    const partial = tf.depthwiseConv2d(x as tf.Tensor4D, depthwiseFilter as tf.Tensor4D, stride, pad);
    if (groupChannels === 1) return partial;
    const [n, ho, wo] = partial.shape;
    return tf.reshape(tf.sum(tf.reshape(partial, [n, ho, wo, groups, groupChannels, multiplier]), 4), [
      n,
      ho,
      wo,
      outChannels,
    ]) as tf.Tensor4D;
  }
  const xs = tf.split(x as tf.Tensor4D, groups, 3);
  const filters = tf.split(filter as tf.Tensor4D, groups, 3);
  return tf.concat(
    xs.map((xg, g) => tf.conv2d(xg as tf.Tensor4D, filters[g] as tf.Tensor4D, stride, pad)),
    3,
  );
}
