/** Spatial reshuffles of NHWC tensors shared by the convolution and pooling gradients. */
import * as tf from '@tensorflow/tfjs';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs';

/**
 * Pads (positive amounts) or crops (negative amounts) the two spatial axes of an NHWC tensor.
 * Amounts are [top, bottom, left, right].
 */
export function padOrCrop(
  t: Tensor4D,
  [top, bottom, left, right]: [number, number, number, number],
  fill = 0,
): Tensor4D {
  let out = t;
  if (top > 0 || bottom > 0 || left > 0 || right > 0) {
    out = tf.pad(
      out,
      [
        [0, 0],
        [Math.max(top, 0), Math.max(bottom, 0)],
        [Math.max(left, 0), Math.max(right, 0)],
        [0, 0],
      ],
      fill,
    );
  }
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const [n, h, w, c] = out.shape;
    const cropTop = Math.max(-top, 0);
    const cropLeft = Math.max(-left, 0);
    out = tf.slice(
      out,
      [0, cropTop, cropLeft, 0],
      [n, h - cropTop - Math.max(-bottom, 0), w - cropLeft - Math.max(-right, 0), c],
    );
  }
  return out;
}

/**
 * t[:, top + sh·i, left + sw·j, :] for i < outHeight, j < outWidth: a strided slice made of two
 * rank-4 slices and reshapes (WASM's StridedSlice is ~15× slower). Cells past the edge read `fill`.
 */
export function stridedSample(
  t: Tensor4D,
  [top, left]: [number, number],
  [strideHeight, strideWidth]: [number, number],
  [outHeight, outWidth]: [number, number],
  fill = 0,
): Tensor4D {
  const [n, h, w, c] = t.shape;
  const extentHeight = top + strideHeight * outHeight;
  const extentWidth = left + strideWidth * outWidth;
  const fitted = padOrCrop(t, [0, extentHeight - h, 0, extentWidth - w], fill);
  const window = tf.slice(fitted, [0, top, left, 0], [n, strideHeight * outHeight, strideWidth * outWidth, c]);
  if (strideHeight === 1 && strideWidth === 1) return window;
  // Row blocks of sh rows; in each row, blocks of sw pixels merged with the channels.
  const blocks = tf.reshape(window, [n * outHeight, strideHeight, outWidth, strideWidth * c]);
  return tf.reshape(tf.slice(blocks, [0, 0, 0, 0], [n * outHeight, 1, outWidth, c]), [n, outHeight, outWidth, c]);
}

/**
 * Σ over every axis but the last: [..., C] → [C]. (A matMul with a row of ones looks 8× faster
 * when timed on one reused tensor, but XNNPACK then reuses its packing; on fresh tensors it is 2×
 * slower than Sum.)
 */
export function channelSum(t: Tensor): Tensor {
  return tf.sum(
    t,
    t.shape.slice(0, -1).map((_, axis) => axis),
  );
}
