/** Spatial reshuffles of NHWC tensors shared by the convolution and pooling gradients. */
import * as tf from '@tensorflow/tfjs';
import type { Tensor4D } from '@tensorflow/tfjs';

/**
 * Pads (positive amounts) or crops (negative amounts) the two spatial axes of an NHWC tensor.
 * Amounts are [top, bottom, left, right].
 */
export function padOrCrop(t: Tensor4D, [top, bottom, left, right]: [number, number, number, number], fill = 0): Tensor4D {
  let out = t;
  if (top > 0 || bottom > 0 || left > 0 || right > 0) {
    out = tf.pad(out, [[0, 0], [Math.max(top, 0), Math.max(bottom, 0)], [Math.max(left, 0), Math.max(right, 0)], [0, 0]], fill);
  }
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const [n, h, w, c] = out.shape;
    const cropTop = Math.max(-top, 0);
    const cropLeft = Math.max(-left, 0);
    out = tf.slice(out, [0, cropTop, cropLeft, 0],
      [n, h - cropTop - Math.max(-bottom, 0), w - cropLeft - Math.max(-right, 0), c]);
  }
  return out;
}

/** Inserts (stride − 1) zeros after every row and column: [N,H,W,C] → [N,H·sh,W·sw,C]. */
export function interleaveZeros(t: Tensor4D, strideHeight: number, strideWidth: number): Tensor4D {
  if (strideHeight === 1 && strideWidth === 1) return t;
  const [n, h, w, c] = t.shape;
  const spread = tf.pad(tf.reshape(t, [n, h, 1, w, 1, c]),
    [[0, 0], [0, 0], [0, strideHeight - 1], [0, 0], [0, strideWidth - 1], [0, 0]]);
  return tf.reshape(spread, [n, h * strideHeight, w * strideWidth, c]);
}
