/**
 * TRADES' inner maximization (Zhang et al. 2019, trades.py): start at x + 0.001·N(0, 1), ascend
 * KL(softmax f(x) ‖ softmax f(x′)) with signed steps, project onto the L∞ ball and [0, 1].
 */
import * as tf from '@tensorflow/tfjs';
import type { TradesSpec } from './attack-spec.ts';
import type { ModelFunction } from '../models/model-function.ts';
import { project } from './pgd.ts';
import { seededNormal } from '../random.ts';

/** `start`, when given, replaces the random starting point (tests use it to match other code). */
export function tradesAttack(
  model: ModelFunction,
  x: tf.Tensor4D,
  spec: TradesSpec,
  seed: number,
  start?: tf.Tensor4D,
): tf.Tensor4D {
  // The KL's gradient in x′ is the soft-label cross-entropy's with p = softmax f(x) held fixed.
  const cleanProbs = tf.tidy(() => tf.softmax(model.logits(x)));
  let xAdv =
    start !== undefined
      ? tf.clone(start)
      : (tf.tidy(() =>
          tf.clipByValue(tf.add(x, tf.mul(seededNormal(x.shape, 0, 1, seed), 0.001)), 0, 1),
        ) as tf.Tensor4D);
  for (let step = 0; step < spec.steps; step++) {
    const next = tf.tidy(() => {
      const gradient = model.softCrossEntropyInputGradient(xAdv, cleanProbs);
      return project(tf.add(xAdv, tf.mul(tf.sign(gradient), spec.step)) as tf.Tensor4D, x, spec.eps, 'linf');
    });
    xAdv.dispose();
    xAdv = next;
  }
  cleanProbs.dispose();
  return xAdv;
}
