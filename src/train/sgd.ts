/**
 * SGD with momentum and weight decay, PyTorch's update (dampening 0, no Nesterov):
 * g ← ∇ + wd·θ; b ← μ·b + g (b = g at the first step); θ ← θ − lr·b.
 */
import * as tf from '@tensorflow/tfjs';
import type { TensorMap } from '../models/types.ts';

export interface SgdSettings {
  lr: number;
  momentum: number;
  weightDecay: number;
}

/** New parameters and momentum buffers; the inputs are left to the caller to dispose. */
export function sgdStep(
  params: TensorMap,
  grads: TensorMap,
  buffers: TensorMap,
  { lr, momentum, weightDecay }: SgdSettings,
): { params: TensorMap; buffers: TensorMap } {
  const nextParams: TensorMap = {};
  const nextBuffers: TensorMap = {};
  for (const [name, p] of Object.entries(params)) {
    const grad = grads[name];
    if (grad === undefined) {
      nextParams[name] = tf.clone(p);
      if (buffers[name] !== undefined) nextBuffers[name] = tf.clone(buffers[name]!);
      continue;
    }
    const [param, buffer] = tf.tidy(() => {
      const g = weightDecay === 0 ? grad : tf.add(grad, tf.mul(p, weightDecay));
      const previous = buffers[name];
      const b = momentum === 0 ? g : previous === undefined ? tf.clone(g) : tf.add(tf.mul(previous, momentum), g);
      return [tf.sub(p, tf.mul(b, lr)), momentum === 0 ? undefined : b] as const;
    });
    nextParams[name] = param;
    if (buffer !== undefined) nextBuffers[name] = buffer;
  }
  return { params: nextParams, buffers: nextBuffers };
}
