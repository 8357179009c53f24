/**
 * The training objectives, on logits (what each engine's gradients must equal):
 * pgd-at / standard: mean CE;
 * TRADES (Zhang et al. 2019): CE(f(x), y) + β·KL(f(x) ‖ f(x′))/N;
 * MART (Wang et al. 2020): CE(f(x′), y) + NLL(log(1.0001 − p′), y″) + β/N·Σ KL(p′ ‖ p)_per example·(1.0000001 − p_y),
 * with p = softmax f(x), p′ = softmax f(x′), y″ the most likely wrong class under p′.
 */
import * as tf from '@tensorflow/tfjs';
import { crossEntropyPerExample } from './loss.ts';

export function meanCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.mean(crossEntropyPerExample(logits, labels)) as tf.Scalar;
}

export function tradesLoss(
  cleanLogits: tf.Tensor2D,
  advLogits: tf.Tensor2D,
  labels: tf.Tensor1D,
  beta: number,
): tf.Scalar {
  const logP = tf.logSoftmax(cleanLogits);
  const kl = tf.div(tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, tf.logSoftmax(advLogits)))), cleanLogits.shape[0]);
  return tf.add(meanCrossEntropy(cleanLogits, labels), tf.mul(kl, beta)) as tf.Scalar;
}

export function martLoss(
  cleanLogits: tf.Tensor2D,
  advLogits: tf.Tensor2D,
  labels: tf.Tensor1D,
  beta: number,
): tf.Scalar {
  const classes = advLogits.shape[1];
  const oneHot = tf.oneHot(labels, classes);
  const advProbs = tf.softmax(advLogits);
  // The most likely class other than the label (the reference takes the top-2 of argsort).
  const wrong = tf.argMax(tf.sub(advProbs, tf.mul(oneHot, 2)), 1);
  const boosted = tf.add(
    meanCrossEntropy(advLogits, labels),
    tf.mean(tf.neg(tf.sum(tf.mul(tf.log(tf.add(tf.sub(1.0001, advProbs), 1e-12)), tf.oneHot(wrong, classes)), 1))),
  );
  const cleanProbs = tf.softmax(cleanLogits);
  const trueProbs = tf.sum(tf.mul(cleanProbs, oneHot), 1);
  // nn.KLDivLoss(reduction='none')(log(p′ + 1e-12), p) summed over classes: Σ p·(log p − log(p′ + 1e-12)).
  const kl = tf.sum(tf.mul(cleanProbs, tf.sub(tf.logSoftmax(cleanLogits), tf.log(tf.add(advProbs, 1e-12)))), 1);
  const robust = tf.div(tf.sum(tf.mul(kl, tf.sub(1.0000001, trueProbs))), advLogits.shape[0]);
  return tf.add(boosted, tf.mul(robust, beta)) as tf.Scalar;
}
