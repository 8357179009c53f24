/** Runs any attack spec on a batch; the caller owns the returned adversarial inputs. */
import * as tf from '@tensorflow/tfjs';
import type { AttackSpec } from './attack-spec.ts';
import type { ModelFunction } from '../models/model-function.ts';
import { attackSequence, autoAttack } from './autoattack.ts';
import { pgdAttack } from './pgd.ts';
import { tradesAttack } from './trades.ts';

/** Adversarial inputs and, for APGD, Square and AutoAttack, one outcome character per example (autoattack.ts). */
export interface AttackRun {
  xAdv: tf.Tensor4D;
  outcome?: string;
  fooledByMember?: number[];
}

/** runAttackWithOutcome's adversarial inputs alone. */
export const runAttack = (...args: Parameters<typeof runAttackWithOutcome>): tf.Tensor4D =>
  runAttackWithOutcome(...args).xAdv;

/**
 * Adversarial inputs for (x, labels), with the per-example outcome of the attacks that report one;
 * `start` optionally fixes the attack's starting point instead of a random one.
 */
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
  const { xAdv, outcome } = attackSequence(model, x, labels, [spec], seed, start);
  return { xAdv, outcome };
}
