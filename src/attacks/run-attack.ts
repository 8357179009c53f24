/** Runs any attack spec on a batch; the caller owns the returned adversarial inputs. */
import * as tf from '@tensorflow/tfjs';
import type { AttackSpec } from './attack-spec.ts';
import type { ModelFunction } from '../models/model-function.ts';
import { apgdAttack } from './apgd.ts';
import { autoAttack } from './autoattack.ts';
import { pgdAttack } from './pgd.ts';
import { squareAttack } from './square.ts';
import { tradesAttack } from './trades.ts';

/** Adversarial inputs and, for APGD, Square and AutoAttack, one outcome character per example (autoattack.ts). */
export interface AttackRun {
  xAdv: tf.Tensor4D;
  outcome?: string;
  fooledByMember?: number[];
}

/** `start` optionally fixes the attack's starting point instead of a random one. */
export function runAttack(
  spec: AttackSpec,
  model: ModelFunction,
  x: tf.Tensor4D,
  labels: tf.Tensor1D,
  seed: number,
  start?: tf.Tensor4D,
): tf.Tensor4D {
  return runAttackWithOutcome(spec, model, x, labels, seed, start).xAdv;
}

/** runAttack with the per-example outcome of the attacks that report one. */
export function runAttackWithOutcome(
  spec: AttackSpec,
  model: ModelFunction,
  x: tf.Tensor4D,
  labels: tf.Tensor1D,
  seed: number,
  start?: tf.Tensor4D,
): AttackRun {
  switch (spec.kind) {
    case 'none':
      return { xAdv: tf.clone(x) };
    case 'pgd':
      return { xAdv: pgdAttack(model, x, labels, spec, seed, start) };
    case 'trades':
      return { xAdv: tradesAttack(model, x, spec, seed, start) };
    case 'autoattack':
      return autoAttack(model, x, labels, spec, seed);
  }
  const { xAdv, fooled } =
    spec.kind === 'square'
      ? squareAttack(model, x, labels, spec, seed)
      : apgdAttack(model, x, labels, spec, seed, { start });
  const labelIds = labels.dataSync();
  const predictions = tf.tidy(() => tf.argMax(model.logits(x), 1).dataSync());
  const outcome = fooled.map((f, i) => (f ? '1' : predictions[i] === labelIds[i] ? '.' : 'x')).join('');
  return { xAdv, outcome };
}
