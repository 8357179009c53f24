/**
 * Train-mode BatchNorm (batch statistics) as one op with its closed-form gradient, instead of
 * autodiff through moments + FusedBatchNorm (several full-size passes and leading-axis Means).
 * Statistics are per channel (last axis), variance biased (÷M), as PyTorch normalizes in train mode.
 */
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs';
import { channelSum } from './gradients/spatial.ts';
import {
  BATCH_NORM_TRAIN,
  BATCH_NORM_TRAIN_GRAD,
  type BatchNormTrainAttrs,
} from './kernels/batch-norm-train-kernel.ts';

/** The normalized output and the batch statistics it used (which carry no gradient). */
export interface TrainBatchNorm {
  y: Tensor;
  mean: Tensor;
  variance: Tensor;
}

/** Per-channel mean and biased variance over all but the last axis. */
export function channelMoments(x: Tensor): { mean: Tensor; variance: Tensor } {
  return tf.tidy(() => {
    const count = x.size / x.shape[x.rank - 1]!;
    const mean = tf.div(channelSum(x), count);
    const variance = tf.div(channelSum(tf.square(tf.sub(x, mean))), count);
    return { mean, variance };
  });
}

/**
 * y = (x − μ_B)/√(σ²_B + ε)·scale + offset with the batch's own statistics. Gradients for x, scale
 * and offset: with x̂ the normalized input and M the count per channel,
 * ∂x = scale·rstd/M·(M·dy − Σdy − x̂·Σ(dy·x̂)), ∂scale = Σ(dy·x̂), ∂offset = Σdy.
 */
export function batchNormTrain(x: Tensor, scale: Tensor, offset: Tensor, epsilon: number): TrainBatchNorm {
  // One kernel for y and the statistics where the backend has it (WASM, see kernels/).
  if (tf.getKernel(BATCH_NORM_TRAIN, tf.getBackend()) !== undefined) {
    const attrs: BatchNormTrainAttrs = { epsilon };
    const [y, mean, variance] = tf
      .engine()
      .runKernel(BATCH_NORM_TRAIN, { x, scale, offset }, attrs as unknown as NamedAttrMap) as Tensor[];
    return { y: y!, mean: mean!, variance: variance! };
  }
  return { y: composedBatchNormTrain(x, scale, offset, epsilon), ...channelMoments(x) };
}

/** The gradient of the BATCH_NORM_TRAIN kernel: one kernel for ∂x, ∂scale and ∂offset. */
export const batchNormTrainGradConfig: GradConfig = {
  kernelName: BATCH_NORM_TRAIN,
  inputsToSave: ['x', 'scale'],
  outputsToSave: [false, true, true],
  gradFunc: (dys: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    // The statistics only feed the running averages, never the loss: their gradients are dropped.
    const dy = (dys as Tensor[])[0]!;
    const [x, scale, mean, variance] = saved as [Tensor, Tensor, Tensor, Tensor];
    const [dx, dScale, dOffset] = tf
      .engine()
      .runKernel(BATCH_NORM_TRAIN_GRAD, { x, dy, mean, variance, scale }, attrs) as Tensor[];
    return { x: () => dx!, scale: () => dScale!, offset: () => dOffset! };
  },
};

/** Other backends: the same forward pass and closed-form gradient from tfjs ops. */
function composedBatchNormTrain(x: Tensor, scale: Tensor, offset: Tensor, epsilon: number): Tensor {
  const op = tf.customGrad(((input: Tensor, gamma: Tensor, beta: Tensor, save: tf.GradSaveFunc) => {
    const count = input.size / input.shape[input.rank - 1]!;
    const mean = tf.div(channelSum(input), count);
    const variance = tf.div(channelSum(tf.square(tf.sub(input, mean))), count);
    save([input, mean, variance, gamma]);
    return {
      // The forward value is one pass of the fused kernel; x̂ is rebuilt only if a gradient is asked.
      value: tf.batchNorm(input, mean, variance, beta, gamma, epsilon),
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [x, mu, sigma2, g] = saved as [Tensor, Tensor, Tensor, Tensor];
        const rstd = tf.rsqrt(tf.add(sigma2, epsilon));
        const xHat = tf.mul(tf.sub(x, mu), rstd);
        const sumDy = channelSum(dy);
        const sumDyXHat = channelSum(tf.mul(dy, xHat));
        const inner = tf.sub(tf.sub(tf.mul(dy, count), sumDy), tf.mul(xHat, sumDyXHat));
        return [tf.mul(inner, tf.div(tf.mul(g, rstd), count)), sumDyXHat, sumDy];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x, scale, offset);
}
