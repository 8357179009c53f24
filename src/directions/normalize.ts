/**
 * Direction normalization (Li et al. 2018, loss-landscape `normalize_direction`), in tfjs layout
 * (the output unit is the last axis: HWIO filters, in×out linear weights).
 * filter: every output slice i gets d_i ← d_i·‖w_i‖/(‖d_i‖ + 1e-10) (Frobenius norms);
 * layer:  d ← d·‖w‖/(‖d‖ + 1e-10);
 * none:   unchanged.
 * Tensors of rank ≤ 1 (biases, BatchNorm γ/β) get direction 0 unless `includeBn`; then they are
 * normalized like layers (the reference instead copies w into d, which we do not do).
 */
import * as tf from '@tensorflow/tfjs';
import type { TensorMap } from '../models/types.ts';

export type Normalization = 'filter' | 'layer' | 'none';

/** Per-output-unit Frobenius norms of a tfjs-layout weight: shape [1, …, 1, out]. */
function unitNorms(t: tf.Tensor): tf.Tensor {
  const axes = t.shape.slice(0, -1).map((_, i) => i);
  return tf.sqrt(tf.sum(tf.square(t), axes, true));
}

export function normalizeDirection(
  direction: TensorMap,
  weights: TensorMap,
  normalization: Normalization,
  includeBn: boolean,
): TensorMap {
  return tf.tidy(() => {
    const out: TensorMap = {};
    for (const [name, d] of Object.entries(direction)) {
      const w = weights[name];
      if (w === undefined) continue;
      if (d.rank <= 1 && !includeBn) {
        out[name] = tf.zerosLike(d);
        continue;
      }
      if (normalization === 'none') out[name] = tf.clone(d);
      else if (normalization === 'filter' && d.rank >= 2)
        out[name] = tf.mul(d, tf.div(unitNorms(w), tf.add(unitNorms(d), 1e-10)));
      else out[name] = tf.mul(d, tf.div(tf.norm(w), tf.add(tf.norm(d), 1e-10)));
    }
    return out;
  });
}

/** Norms of every output unit of every tensor, for checking normalization (test helper, also used by `flatness`). */
export function outputUnitNorms(t: tf.Tensor): Float32Array {
  return tf.tidy(
    () => (t.rank >= 2 ? tf.reshape(unitNorms(t), [-1]) : tf.reshape(tf.norm(t), [1])).dataSync() as Float32Array,
  );
}
