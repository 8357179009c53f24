/**
 * AutoAttack (Croce & Hein, ICML 2020): its members in order, each run only on the examples still
 * robust, so its robust accuracy is at most each member's. Every member shares the batch's seed,
 * as upstream seeds each with the same one; a member's random draws are made for the whole batch,
 * so each example meets the same start whichever others are still attacked.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelFunction } from '../models/model-function.ts';
import { formatAttack, type AutoAttackMember, type AutoAttackSpec } from './attack-spec.ts';
import { apgdAttack } from './apgd.ts';
import { type AttackOutcome, copyRow, rowsToHost } from './example-rows.ts';
import { squareAttack } from './square.ts';

export interface AutoAttackOutcome extends AttackOutcome {
  /** Per example: 'x' misclassified clean, '.' still robust, or the 1-based number of the member that fooled it. */
  outcome: string;
  /** Per member: how many examples it fooled (of those still robust when it ran). */
  fooledByMember: number[];
}

/** One member on the `active` examples; `start` replaces APGD's random starts. */
function runMember(
  member: AutoAttackMember,
  model: ModelFunction,
  x: tf.Tensor4D,
  labels: tf.Tensor1D,
  seed: number,
  active: boolean[],
  start?: tf.Tensor4D,
): AttackOutcome {
  if (member.kind === 'square') {
    const { xAdv, fooled } = squareAttack(model, x, labels, member, seed, active);
    return { xAdv, fooled };
  }
  return apgdAttack(model, x, labels, member, seed, { active, start });
}

/** AutoAttack on a batch (attackSequence of its members). */
export function autoAttack(
  model: ModelFunction,
  x: tf.Tensor4D,
  labels: tf.Tensor1D,
  spec: AutoAttackSpec,
  seed: number,
): AutoAttackOutcome {
  return attackSequence(model, x, labels, spec.members, seed);
}

/**
 * Members in order, each on the clean-correct examples none before it fooled (a single APGD or
 * Square attack is the sequence of one). Adversarial inputs: a fooled example's misclassified
 * point; a robust one's highest-loss point of the first member (APGD-CE's highest cross-entropy
 * in the standard version); a clean-misclassified one's clean input.
 */
export function attackSequence(
  model: ModelFunction,
  x: tf.Tensor4D,
  labels: tf.Tensor1D,
  members: AutoAttackMember[],
  seed: number,
  start?: tf.Tensor4D,
): AutoAttackOutcome {
  const n = x.shape[0];
  const labelIds = labels.dataSync();
  const predictions = tf.tidy(() => tf.argMax(model.logits(x), 1).dataSync());
  const robust = Array.from(predictions, (p, i) => p === labelIds[i]);
  const codes: string[] = robust.map((r) => (r ? '.' : 'x'));
  const result = rowsToHost(x);
  const rowLength = result.length / n;
  const fooledByMember: number[] = [];
  members.forEach((member, m) => {
    if (!robust.some(Boolean)) {
      fooledByMember.push(0);
      return;
    }
    const outcome = runMember(member, model, x, labels, seed, robust.slice(), start);
    const values = outcome.xAdv.dataSync();
    let count = 0;
    for (let i = 0; i < n; i++) {
      if (!robust[i]) continue;
      if (outcome.fooled[i]) {
        robust[i] = false;
        codes[i] = String(m + 1);
        count++;
      }
      if (outcome.fooled[i] || m === 0) copyRow(result, i, values, i, rowLength);
    }
    outcome.xAdv.dispose();
    fooledByMember.push(count);
  });
  const fooled = codes.map((c) => c !== '.' && c !== 'x');
  return { xAdv: tf.tensor4d(result, x.shape), fooled, outcome: codes.join(''), fooledByMember };
}

/** The members' canonical strings, in order (results record them). */
export function memberAttacks(spec: AutoAttackSpec): string[] {
  return spec.members.map((member) => formatAttack(member));
}
