/**
 * FusedBatchNorm gradient with per-channel factors broadcast instead of tiled to the input's size
 * (the default tiles rsqrt(var + ε) to a full NHWC tensor), and each reduction done once.
 */
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs';
import { channelSum } from './spatial.ts';

/**
 * y = (x − mean)·rsqrt(variance + ε)·scale + offset, statistics per channel (last axis).
 * Gradients for x, mean, variance, scale and offset.
 */
export function batchNormGradients(
  dy: Tensor,
  x: Tensor,
  mean: Tensor,
  variance: Tensor,
  scale: Tensor | undefined,
  varianceEpsilon: number,
): Record<string, () => Tensor> {
  const inverseStd = tf.rsqrt(tf.add(variance, varianceEpsilon));
  const scaled = scale === undefined ? inverseStd : tf.mul(inverseStd, scale);
  // Each closure runs in its own scope (tensors made in one are gone in the next), and attacks ask
  // for x alone: so the full-size reductions are made inside the closures that need them.
  const dySum = () => channelSum(dy);
  const dyCenteredSum = () => channelSum(tf.mul(dy, tf.sub(x, mean)));
  return {
    x: () => tf.mul(dy, scaled),
    mean: () => tf.neg(tf.mul(dySum(), scaled)),
    variance: () => tf.mul(tf.mul(dyCenteredSum(), scaled), tf.mul(tf.square(inverseStd), -0.5)),
    scale: () => tf.mul(dyCenteredSum(), inverseStd),
    offset: () => dySum(),
  };
}

/** Replaces the FusedBatchNorm gradient when the statistics are per last-axis channel; else `fallback`. */
export function batchNormGradConfig(fallback: GradConfig | undefined): GradConfig {
  return {
    kernelName: tf.FusedBatchNorm,
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const [x, mean, variance, scale] = saved as [Tensor, Tensor, Tensor, Tensor | undefined];
      const channels = x.shape[x.rank - 1];
      const perChannel = [mean, variance, scale].every(
        (t) => t === undefined || t === null || (t.rank === 1 && t.shape[0] === channels),
      );
      if (!perChannel) {
        if (fallback === undefined) throw new Error('batchNorm gradient: no default for these statistics');
        return fallback.gradFunc(dy, saved, attrs);
      }
      const { varianceEpsilon } = attrs as unknown as tf.FusedBatchNormAttrs;
      return batchNormGradients(dy as Tensor, x, mean, variance, scale ?? undefined, varianceEpsilon);
    },
  };
}
