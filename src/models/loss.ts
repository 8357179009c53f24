/** Losses on logits. */
import * as tf from '@tensorflow/tfjs';

/** Cross-entropy (natural log) of each example: −log softmax(logits)[label]. */
export function crossEntropyPerExample(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  return tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(labels, logits.shape[1])), 1)) as tf.Tensor1D;
}

/** CW margin: max_{j≠y} z_j − z_y per example (positive when misclassified). */
export function cwMarginPerExample(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  const oneHot = tf.oneHot(labels, logits.shape[1]);
  const correct = tf.sum(tf.mul(logits, oneHot), 1);
  const others = tf.max(tf.sub(logits, tf.mul(oneHot, 1e9)), 1);
  return tf.sub(others, correct) as tf.Tensor1D;
}

/** Cross-entropy of each example against a target distribution [N, K]: −Σ_k t_k·log softmax(z)_k. */
export function softCrossEntropyPerExample(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Tensor1D {
  return tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), targets), 1)) as tf.Tensor1D;
}
