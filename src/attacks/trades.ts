/**
 * TRADES' inner maximization (Zhang et al. 2019, trades.py): start at x + 0.001·N(0, 1), ascend
 * KL(softmax f(x) ‖ softmax f(x′)) with signed steps, project onto the L∞ ball and [0, 1].
 */
import * as tf from '@tensorflow/tfjs';
import type { TradesSpec } from './attack-spec.ts';
import type { ModelFunction } from '../models/model-function.ts';
import { project } from './pgd.ts';
import { seededNormal } from '../random.ts';

/** Σ over the batch of KL(p ‖ q) with p = softmax(clean logits), q = softmax(adversarial logits). */
export function klDivergenceSum(cleanLogits: tf.Tensor2D, advLogits: tf.Tensor2D): tf.Scalar {
  const logP = tf.logSoftmax(cleanLogits);
  return tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, tf.logSoftmax(advLogits))));
}

/** `start`, when given, replaces the random starting point (tests use it to match other code). */
export function tradesAttack(
  model: ModelFunction,
  x: tf.Tensor4D,
  spec: TradesSpec,
  seed: number,
  start?: tf.Tensor4D,
): tf.Tensor4D {
  const cleanLogits = tf.tidy(() => model.forward(x).logits);
  let xAdv =
    start !== undefined
      ? tf.clone(start)
      : (tf.tidy(() =>
          tf.clipByValue(tf.add(x, tf.mul(seededNormal(x.shape, 0, 1, seed), 0.001)), 0, 1),
        ) as tf.Tensor4D);
  for (let step = 0; step < spec.steps; step++) {
    const next = tf.tidy(() => {
      const gradient = tf.grad((input: tf.Tensor) =>
        klDivergenceSum(cleanLogits, model.forward(input as tf.Tensor4D).logits),
      )(xAdv);
      return project(tf.add(xAdv, tf.mul(tf.sign(gradient), spec.step)) as tf.Tensor4D, x, spec.eps, 'linf');
    });
    xAdv.dispose();
    xAdv = next;
  }
  cleanLogits.dispose();
  return xAdv;
}
