/**
 * Projected gradient ascent on the inputs (PGD; FGSM is one full step without a random start).
 * L∞: x ← Π(x + step·sign(∇)); L2: x ← Π(x + step·∇/‖∇‖) per example. Π projects onto the
 * eps-ball around the clean input and then into [0, 1]. With restarts, each example keeps the
 * adversarial input of highest loss. Deterministic for a seed on a given backend.
 */
import * as tf from '@tensorflow/tfjs';
import { crossEntropyPerExample, cwMarginPerExample } from '../models/loss.ts';
import type { ModelFunction } from '../models/model-function.ts';
import type { AttackLoss, Norm, PgdSpec } from './attack-spec.ts';
import { seededNormal } from '../random.ts';

export { cwMarginPerExample };

export function attackLossPerExample(loss: AttackLoss, logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  return loss === 'ce' ? crossEntropyPerExample(logits, labels) : cwMarginPerExample(logits, labels);
}

/** Per-example L2 norm of an NHWC tensor, shaped [N, 1, 1, 1] for broadcasting. */
function exampleNorms(t: tf.Tensor4D): tf.Tensor4D {
  return tf.reshape(tf.sqrt(tf.sum(tf.square(tf.reshape(t, [t.shape[0], -1])), 1)), [
    t.shape[0],
    1,
    1,
    1,
  ]) as tf.Tensor4D;
}

/** Projects x′ onto {‖x′ − x‖ ≤ eps} ∩ [0, 1]. */
export function project(xAdv: tf.Tensor4D, x: tf.Tensor4D, eps: number, norm: Norm): tf.Tensor4D {
  return tf.tidy(() => {
    let delta: tf.Tensor4D = tf.sub(xAdv, x);
    if (norm === 'linf') delta = tf.clipByValue(delta, -eps, eps);
    else delta = tf.mul(delta, tf.minimum(1, tf.div(eps, tf.maximum(exampleNorms(delta), 1e-12))));
    return tf.clipByValue(tf.add(x, delta), 0, 1) as tf.Tensor4D;
  });
}

/** A random point of the ball: uniform per pixel (L∞), uniform direction and radius (L2). */
function randomStart(x: tf.Tensor4D, eps: number, norm: Norm, seed: number): tf.Tensor4D {
  return tf.tidy(() => {
    if (norm === 'linf') return project(tf.add(x, tf.randomUniform(x.shape, -eps, eps, 'float32', seed)), x, eps, norm);
    const direction = seededNormal<tf.Rank.R4>(x.shape, 0, 1, seed);
    const radius = tf.reshape(tf.mul(tf.randomUniform([x.shape[0]], 0, 1, 'float32', seed + 1), eps), [
      x.shape[0],
      1,
      1,
      1,
    ]);
    return project(
      tf.add(x, tf.mul(tf.div(direction, tf.maximum(exampleNorms(direction), 1e-12)), radius)),
      x,
      eps,
      norm,
    );
  });
}

/** One ascent step from xAdv. */
function ascend(
  model: ModelFunction,
  xAdv: tf.Tensor4D,
  x: tf.Tensor4D,
  labels: tf.Tensor1D,
  spec: PgdSpec,
): tf.Tensor4D {
  return tf.tidy(() => {
    // The summed loss gives each example its own gradient, independent of the batch size.
    const gradient =
      spec.loss === 'ce' ? model.crossEntropyInputGradient(xAdv, labels) : model.marginInputGradient(xAdv, labels);
    const direction =
      spec.norm === 'linf' ? tf.sign(gradient) : tf.div(gradient, tf.maximum(exampleNorms(gradient), 1e-12));
    return project(tf.add(xAdv, tf.mul(direction, spec.step)), x, spec.eps, spec.norm);
  });
}

/**
 * Adversarial examples for (x, labels); the caller owns the result. `start`, when given, replaces
 * the random start of the first restart (tests compare against other implementations with it).
 */
export function pgdAttack(
  model: ModelFunction,
  x: tf.Tensor4D,
  labels: tf.Tensor1D,
  spec: PgdSpec,
  seed: number,
  start?: tf.Tensor4D,
): tf.Tensor4D {
  let best: tf.Tensor4D | undefined;
  let bestLoss: tf.Tensor1D | undefined;
  for (let restart = 0; restart < spec.restarts; restart++) {
    let xAdv =
      start !== undefined && restart === 0
        ? project(start, x, spec.eps, spec.norm)
        : spec.randomStart
          ? randomStart(x, spec.eps, spec.norm, seed * 7919 + restart * 104729)
          : tf.clone(x);
    for (let step = 0; step < spec.steps; step++) {
      const next = ascend(model, xAdv, x, labels, spec);
      xAdv.dispose();
      xAdv = next;
    }
    if (spec.restarts === 1) return xAdv;
    const loss = tf.tidy(() => attackLossPerExample(spec.loss, model.logits(xAdv), labels));
    if (best === undefined || bestLoss === undefined) {
      best = xAdv;
      bestLoss = loss;
      continue;
    }
    const [nextBest, nextLoss] = tf.tidy(() => {
      const better = tf.greater(loss, bestLoss!);
      // where() broadcasts numpy-style (trailing axes), so the per-example choice is [N, 1, 1, 1].
      const perExample = tf.reshape(better, [-1, 1, 1, 1]);
      return [tf.where(perExample, xAdv, best!) as tf.Tensor4D, tf.where(better, loss, bestLoss!) as tf.Tensor1D];
    });
    tf.dispose([best, bestLoss, xAdv, loss]);
    best = nextBest;
    bestLoss = nextLoss;
  }
  bestLoss?.dispose();
  return best!;
}
