/**
 * Adversarial Weight Perturbation (Wu, Xia & Wang 2020; reference utils_awp.py). From θ, a proxy
 * takes plain SGD ascent steps (lr 0.01) on the training loss at the adversarial examples, in
 * train mode (its BatchNorm statistics are thrown away). For every weight of rank > 1 (biases and
 * BatchNorm parameters are never perturbed): d_l = proxy_l − θ_l and
 * v_l = γ·‖θ_l‖·d_l/(‖d_l‖ + 1e-20). With K > 1 steps the proxy is projected back into
 * ‖proxy_l − θ_l‖ ≤ γ‖θ_l‖ after each step.
 */
import * as tf from '@tensorflow/tfjs';
import type { TensorMap } from '../models/types.ts';

export const AWP_PROXY_LR = 0.01;

/** The parameters AWP perturbs: rank ≥ 2 and named like a weight. */
export function perturbable(name: string, t: tf.Tensor): boolean {
  return t.rank >= 2 && name.includes('weight');
}

function norm(t: tf.Tensor): tf.Scalar {
  return tf.sqrt(tf.sum(tf.square(t))) as tf.Scalar;
}

/** The gradient of the loss at given parameters, for every parameter. */
export type GradientFunction = (params: TensorMap) => TensorMap;

/** A loss's gradient function by tfjs autodiff. */
export function gradientsOf(loss: (params: TensorMap) => tf.Scalar): GradientFunction {
  return (params) => {
    const order = Object.keys(params);
    const grads = tf.grads((...ps: tf.Tensor[]) => loss(Object.fromEntries(order.map((n, i) => [n, ps[i]!]))))(
      order.map((n) => params[n]!),
    );
    return Object.fromEntries(order.map((n, i) => [n, grads[i]!]));
  };
}

/**
 * The perturbation v (only the perturbed names). `gradients(params)` is the gradient of the
 * training loss at the adversarial examples, evaluated in train mode; v is what the caller adds to θ.
 */
export function awpPerturbation(params: TensorMap, gradients: GradientFunction, gamma: number, steps = 1): TensorMap {
  const names = Object.keys(params).filter((n) => perturbable(n, params[n]!));
  return tf.tidy(() => {
    let proxy: TensorMap = { ...params };
    for (let step = 0; step < steps; step++) {
      const grads = gradients(proxy);
      // Ascent on the loss = a plain SGD step on its negative.
      const next: TensorMap = {};
      for (const n of Object.keys(proxy)) next[n] = tf.add(proxy[n]!, tf.mul(grads[n]!, AWP_PROXY_LR));
      if (steps > 1) {
        for (const n of names) {
          const d = tf.sub(next[n]!, params[n]!);
          const bound = tf.mul(norm(params[n]!), gamma);
          next[n] = tf.add(params[n]!, tf.mul(d, tf.minimum(1, tf.div(bound, tf.add(norm(d), 1e-20)))));
        }
      }
      proxy = next;
    }
    const v: TensorMap = {};
    for (const n of names) {
      const d = tf.sub(proxy[n]!, params[n]!);
      v[n] = tf.mul(d, tf.div(tf.mul(norm(params[n]!), gamma), tf.add(norm(d), 1e-20)));
    }
    return v;
  });
}

/** θ + coefficient·v for the perturbed names, θ itself elsewhere (new tensors only where changed). */
export function addPerturbation(params: TensorMap, v: TensorMap, coefficient = 1): TensorMap {
  const out: TensorMap = { ...params };
  for (const [n, d] of Object.entries(v)) out[n] = tf.add(params[n]!, tf.mul(d, coefficient));
  return out;
}
