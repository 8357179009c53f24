/** Consecutive batches of a data set as tensors (the caller disposes them). */
import * as tf from '@tensorflow/tfjs';
import type { LabeledImages } from './dataset.ts';

export function tensorBatches(
  data: LabeledImages,
  size: number,
  limit = Infinity,
): Array<{ x: tf.Tensor4D; labels: tf.Tensor1D }> {
  const [n, h, w, c] = data.shape;
  const out: Array<{ x: tf.Tensor4D; labels: tf.Tensor1D }> = [];
  for (let start = 0; start < n && out.length < limit; start += size) {
    const count = Math.min(size, n - start);
    out.push({
      x: tf.tensor4d(data.images.subarray(start * h * w * c, (start + count) * h * w * c), [count, h, w, c]),
      labels: tf.tensor1d(data.labels.subarray(start, start + count), 'int32'),
    });
  }
  return out;
}
