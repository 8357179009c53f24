/** Runs any attack spec on a batch; the caller owns the returned adversarial inputs. */
import * as tf from '@tensorflow/tfjs';
import type { AttackSpec } from './attack-spec.ts';
import type { ModelFunction } from '../models/model-function.ts';
import { pgdAttack } from './pgd.ts';
import { tradesAttack } from './trades.ts';

/** `start` optionally fixes the attack's starting point instead of a random one. */
export function runAttack(
  spec: AttackSpec,
  model: ModelFunction,
  x: tf.Tensor4D,
  labels: tf.Tensor1D,
  seed: number,
  start?: tf.Tensor4D,
): tf.Tensor4D {
  switch (spec.kind) {
    case 'none':
      return tf.clone(x);
    case 'pgd':
      return pgdAttack(model, x, labels, spec, seed, start);
    case 'trades':
      return tradesAttack(model, x, spec, seed, start);
    default:
      throw new Error(`runAttack: ${spec.kind} is parsed but not wired yet`);
  }
}
