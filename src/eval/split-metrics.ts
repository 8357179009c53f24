/**
 * Clean and robust loss and accuracy of a model on one split, batch by batch, in eval mode
 * (running BatchNorm statistics). An example is robustly correct when it is classified correctly
 * both clean and under the attack (the clean input lies in every threat ball), so robust accuracy
 * never exceeds clean accuracy. Robust loss is the cross-entropy at the adversarial input.
 */
import * as tf from '@tensorflow/tfjs';
import { formatAttack, type AttackSpec, type PgdSpec } from '../attacks/attack-spec.ts';
import { memberAttacks } from '../attacks/autoattack.ts';
import { runAttack, runAttackWithOutcome } from '../attacks/run-attack.ts';
import type { LabeledImages } from '../data/dataset.ts';
import { WeightscapeError } from '../errors.ts';
import { modelFunction } from '../models/engine-registry.ts';
import { crossEntropyPerExample } from '../models/loss.ts';
import type { ModelConfig, ModelWeights } from '../models/types.ts';

import type { SplitMetrics } from '../results/schema-parts.ts';

export type { LossAccuracy, SplitMetrics } from '../results/schema-parts.ts';

export interface SplitRequest {
  weights: ModelWeights;
  config: ModelConfig;
  data: LabeledImages;
  attack: AttackSpec;
  batchSize: number;
  seed: number;
  /** A second, PGD attack on the same examples (evaluate-checkpoint's gradient-masking check). */
  pgdCheck?: PgdSpec;
  onProgress?: (done: number, total: number) => void;
}

/** Robust loss and accuracy of one attack, summed over batches. */
const robustSums = () => ({ loss: 0, correct: 0 });

export function evaluateSplit({
  weights,
  config,
  data,
  attack,
  batchSize,
  seed,
  pgdCheck,
  onProgress,
}: SplitRequest): SplitMetrics {
  const [n, h, w, c] = data.shape;
  const model = modelFunction(config, weights, { training: false });
  const sums = { cleanLoss: 0, cleanCorrect: 0, robustLoss: 0, robustCorrect: 0 };
  const check = robustSums();
  const outcomes: string[] = [];
  const fooledByMember: number[] = attack.kind === 'autoattack' ? attack.members.map(() => 0) : [];
  for (let start = 0, batch = 0; start < n; start += batchSize, batch++) {
    const size = Math.min(batchSize, n - start);
    const x = tf.tensor4d(data.images.subarray(start * h * w * c, (start + size) * h * w * c), [size, h, w, c]);
    const labels = tf.tensor1d(data.labels.subarray(start, start + size), 'int32');
    const batchSeed = seed * 100_003 + batch;
    const run = attack.kind === 'none' ? undefined : runAttackWithOutcome(attack, model, x, labels, batchSeed);
    const xAdv = run?.xAdv;
    if (run?.outcome !== undefined) outcomes.push(run.outcome);
    run?.fooledByMember?.forEach((count, m) => (fooledByMember[m]! += count));
    const xPgd = pgdCheck === undefined ? undefined : runAttack(pgdCheck, model, x, labels, batchSeed);
    const values = tf.tidy(() => {
      const cleanLogits = model.logits(x);
      const cleanRight = tf.equal(tf.argMax(cleanLogits, 1), labels);
      const reductions = [tf.sum(crossEntropyPerExample(cleanLogits, labels)), tf.sum(tf.cast(cleanRight, 'float32'))];
      for (const adv of [xAdv, xPgd])
        if (adv !== undefined) reductions.push(...robustReductions(model, adv, labels, cleanRight));
      return tf.stack(reductions);
    });
    // Clean loss and count, then (summed loss, count right both clean and attacked) of the attack and of the check.
    const [cleanLoss, cleanCorrect, ...robust] = values.dataSync();
    const [robustLoss = 0, robustCorrect = 0] = xAdv === undefined ? [] : robust.splice(0, 2);
    if (xPgd !== undefined) {
      check.loss += robust[0]!;
      check.correct += robust[1]!;
    }
    tf.dispose([x, labels, values, ...[xAdv, xPgd].filter((t) => t !== undefined)]);
    sums.cleanLoss += cleanLoss!;
    sums.cleanCorrect += cleanCorrect!;
    sums.robustLoss += robustLoss;
    sums.robustCorrect += robustCorrect;
    onProgress?.(start + size, n);
  }
  const result: SplitMetrics = { count: n, clean: { loss: sums.cleanLoss / n, accuracy: sums.cleanCorrect / n } };
  if (attack.kind !== 'none') result.robust = { loss: sums.robustLoss / n, accuracy: sums.robustCorrect / n };
  if (outcomes.length > 0) result.outcome = outcomes.join('');
  if (attack.kind === 'autoattack') {
    let robust = sums.cleanCorrect;
    const attacks = memberAttacks(attack);
    result.members = fooledByMember.map((fooled, m) => {
      robust -= fooled;
      return { attack: attacks[m]!, seed, fooled, robustAccuracy: robust / n };
    });
  }
  if (pgdCheck !== undefined)
    result.pgdCheck = { attack: formatAttack(pgdCheck), loss: check.loss / n, accuracy: check.correct / n };
  for (const value of [result.clean.loss, result.robust?.loss ?? 0]) {
    if (!Number.isFinite(value)) throw new WeightscapeError('numeric', `loss is ${value} on ${data.spec}`);
  }
  return result;
}

/** Summed cross-entropy at xAdv and the count of examples right both clean (`cleanRight`) and at xAdv. */
function robustReductions(
  model: ReturnType<typeof modelFunction>,
  xAdv: tf.Tensor4D,
  labels: tf.Tensor1D,
  cleanRight: tf.Tensor,
): [tf.Scalar, tf.Scalar] {
  const advLogits = model.logits(xAdv);
  const bothRight = tf.logicalAnd(cleanRight, tf.equal(tf.argMax(advLogits, 1), labels));
  return [tf.sum(crossEntropyPerExample(advLogits, labels)), tf.sum(tf.cast(bothRight, 'float32'))];
}
