/** Losses on logits. */
import * as tf from '@tensorflow/tfjs';

/** Cross-entropy (natural log) of each example: −log softmax(logits)[label]. */
export function crossEntropyPerExample(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  return tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(labels, logits.shape[1])), 1)) as tf.Tensor1D;
}
