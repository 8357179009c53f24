/**
 * What the attacks that run on the examples still robust share: the outcome per example, rows
 * gathered from a batch and written back on the host, and the random start drawn for the whole
 * batch (so an example's start does not depend on which others are still attacked).
 */
import * as tf from '@tensorflow/tfjs';
import { seededNormal, seededUniformTensor } from '../random.ts';
import type { Norm } from './attack-spec.ts';

/** Adversarial inputs (caller owns) and which examples an attack fooled. */
export interface AttackOutcome {
  xAdv: tf.Tensor4D;
  /** Per example: attacked and misclassified at xAdv. */
  fooled: boolean[];
}

/** The rows `rows` of `t` (first axis). */
export function gatherRows<T extends tf.Tensor>(t: T, rows: number[]): T {
  return tf.tidy(() => tf.gather(t, tf.tensor1d(rows, 'int32')) as T);
}

/** A host copy of a batch's values, rows written back with copyRow. */
export function rowsToHost(x: tf.Tensor): Float32Array {
  return Float32Array.from(x.dataSync());
}

/** Copies row `from` of `source` into row `to` of `target` (rows of equal length). */
export function copyRow(
  target: Float32Array,
  to: number,
  source: tf.TypedArray,
  from: number,
  rowLength: number,
): void {
  target.set(source.subarray(from * rowLength, (from + 1) * rowLength), to * rowLength);
}

/**
 * APGD's random start for every example of the batch: x + eps·t/‖t‖ per example, t uniform on
 * [−1, 1] with the L∞ norm (so some pixel moves the full eps) or Gaussian with the L2 norm, in [0, 1].
 */
export function attackStart(x: tf.Tensor4D, eps: number, norm: Norm, seed: number): tf.Tensor4D {
  return tf.tidy(() => {
    const t = norm === 'linf' ? seededUniformTensor(x.shape, -1, 1, seed) : seededNormal(x.shape, 0, 1, seed);
    const flat = tf.reshape(t, [x.shape[0], -1]);
    const length = norm === 'linf' ? tf.max(tf.abs(flat), 1) : tf.norm(flat, 'euclidean', 1);
    const unit = tf.div(t, tf.add(tf.reshape(length, [-1, 1, 1, 1]), 1e-12));
    return tf.clipByValue(tf.add(x, tf.mul(unit, eps)), 0, 1) as tf.Tensor4D;
  });
}
