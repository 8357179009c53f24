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

/**
 * APGD's DLR loss (Croce & Hein 2020) as −(z·a)/(z·d + 1e-12) with a and d fixed by the ranks of
 * z: untargeted a = e_y − e_w (w the best wrong class: second-ranked when y ranks first), d =
 * e_π1 − e_π3; targeted (target t) a = e_y − e_t, d = e_π1 − (e_π3 + e_π4)/2. Returned as
 * tensors [N, K] so that autodiff holds the sort fixed, as PyTorch's does.
 */
export function dlrVectors(
  logits: tf.Tensor2D,
  labels: tf.Tensor1D,
  targetLabels?: tf.Tensor1D,
): { a: tf.Tensor2D; d: tf.Tensor2D } {
  return tf.tidy(() => {
    const k = logits.shape[1];
    const ranks = tf.unstack(tf.topk(logits, targetLabels === undefined ? 3 : 4).indices, 1);
    const [top1, top2, top3, top4] = ranks.map((r) => tf.oneHot(r as tf.Tensor1D, k).toFloat());
    const label = tf.oneHot(labels, k).toFloat();
    if (targetLabels !== undefined) {
      const d = tf.sub(top1!, tf.mul(tf.add(top3!, top4!), 0.5));
      return { a: tf.sub(label, tf.oneHot(targetLabels, k).toFloat()) as tf.Tensor2D, d: d as tf.Tensor2D };
    }
    const labelFirst = tf.sum(tf.mul(top1!, label), 1, true);
    const wrong = tf.add(tf.mul(top2!, labelFirst), tf.mul(top1!, tf.sub(1, labelFirst)));
    return { a: tf.sub(label, wrong) as tf.Tensor2D, d: tf.sub(top1!, top3!) as tf.Tensor2D };
  });
}

/** The DLR loss per example for the fixed vectors of dlrVectors. */
export function dlrPerExample(logits: tf.Tensor2D, { a, d }: { a: tf.Tensor2D; d: tf.Tensor2D }): tf.Tensor1D {
  return tf.neg(tf.div(tf.sum(tf.mul(logits, a), 1), tf.add(tf.sum(tf.mul(logits, d), 1), 1e-12))) as tf.Tensor1D;
}
