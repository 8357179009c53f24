/**
 * Pooling windows cell by cell, for the forward-mode rule of max pooling with any stride and
 * padding (tangent-context.ts): the windows may overlap, so the tangent is gathered per window at
 * the cell its first maximum is in (PyTorch's and the gradient kernel's choice at ties), never
 * spread back through the input.
 */
import * as tf from '@tensorflow/tfjs';
import { padOrCrop, stridedSample } from '../backend/gradients/spatial.ts';

/** PyTorch's pooled size along one axis (floor rounding). */
export function pooledSize(inSize: number, size: number, stride: number, padding: number): number {
  return Math.floor((inSize + 2 * padding - size) / stride) + 1;
}

/**
 * The size² cells of every window, one [N, Ho, Wo, C] tensor per offset in the window (row-major):
 * cell (a, b) of window (i, j) is x[i·stride − padding + a, j·stride − padding + b], `fill` outside.
 */
export function windowCells(
  x: tf.Tensor4D,
  size: number,
  stride: number,
  padding: number,
  fill: number,
): tf.Tensor4D[] {
  const [, h, w] = x.shape;
  const out: [number, number] = [pooledSize(h, size, stride, padding), pooledSize(w, size, stride, padding)];
  const padded = padOrCrop(x, [padding, padding, padding, padding], fill);
  const cells: tf.Tensor4D[] = [];
  for (let a = 0; a < size; a++)
    for (let b = 0; b < size; b++) cells.push(stridedSample(padded, [a, b], [stride, stride], out, fill));
  return cells;
}

/**
 * One-hot masks of each window's first maximum ([size², N, Ho, Wo, C], 1 at the cell that wins):
 * padding reads −∞ and never wins.
 */
export function firstMaximumMasks(x: tf.Tensor4D, size: number, stride: number, padding: number): tf.Tensor {
  return tf.tidy(() => {
    const cells = windowCells(x, size, stride, padding, -Infinity);
    const maximum = cells.reduce((m, c) => tf.maximum(m, c));
    let open: tf.Tensor = tf.onesLike(maximum);
    const masks = cells.map((cell) => {
      const first = tf.mul(open, tf.cast(tf.equal(cell, maximum), 'float32'));
      open = tf.sub(open, first);
      return first;
    });
    return tf.stack(masks);
  });
}

/** Σ over a window's cells of mask ⊙ t: each window's t at the cell the masks chose. */
export function gatherAtMasks(
  t: tf.Tensor4D,
  masks: tf.Tensor,
  size: number,
  stride: number,
  padding: number,
): tf.Tensor4D {
  return tf.sum(tf.mul(tf.stack(windowCells(t, size, stride, padding, 0)), masks), 0) as tf.Tensor4D;
}
