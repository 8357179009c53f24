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

/**
 * The perturbation v (only the perturbed names). `loss(params)` is the training loss at the
 * adversarial examples, evaluated in train mode; v is what the caller adds to θ.
 */
export function awpPerturbation(params: TensorMap, loss: (params: TensorMap) => tf.Scalar, gamma: number, steps = 1): TensorMap {
  const names = Object.keys(params).filter((n) => perturbable(n, params[n]!));
  return tf.tidy(() => {
    let proxy: TensorMap = { ...params };
    for (let step = 0; step < steps; step++) {
      const order = Object.keys(proxy);
      const grads = tf.grads((...ps: tf.Tensor[]) => loss(Object.fromEntries(order.map((n, i) => [n, ps[i]!]))))(order.map((n) => proxy[n]!));
      // Ascent on the loss = a plain SGD step on its negative.
      const next: TensorMap = {};
      order.forEach((n, i) => { next[n] = tf.add(proxy[n]!, tf.mul(grads[i]!, AWP_PROXY_LR)); });
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
