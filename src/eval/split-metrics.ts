/**
 * Clean and robust loss and accuracy of a model on one split, batch by batch, in eval mode
 * (running BatchNorm statistics). An example is robustly correct when it is classified correctly
 * both clean and under the attack (the clean input lies in every threat ball), so robust accuracy
 * never exceeds clean accuracy. Robust loss is the cross-entropy at the adversarial input.
 */
import * as tf from '@tensorflow/tfjs';
import type { AttackSpec, PgdSpec } from '../attacks/attack-spec.ts';
import { runAttack, runAttackWithOutcome } from '../attacks/run-attack.ts';
import type { LabeledImages } from '../data/dataset.ts';
import { shardPoints, type Shard } from '../cluster/shard-spec.ts';
import { modelFunction } from '../models/engine-registry.ts';
import { crossEntropyPerExample } from '../models/loss.ts';
import type { ModelConfig, ModelWeights } from '../models/types.ts';

import type { SplitMetrics } from '../results/schema-parts.ts';
import { metricsFromBatches, type BatchRecord } from './batch-metrics.ts';

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
  /** Only the batches b ≡ shard.index (mod shard.count). */
  shard?: Shard;
  onProgress?: (done: number, total: number) => void;
}

/**
 * The sums of each batch b of the split (b ≡ shard.index mod shard.count with a shard): batch b is
 * examples b·batchSize… and its attack draws from seed·100003 + b, so a batch's sums do not depend
 * on which other batches a process computes.
 */
export function splitBatches({
  weights,
  config,
  data,
  attack,
  batchSize,
  seed,
  pgdCheck,
  shard,
  onProgress,
}: SplitRequest): BatchRecord[] {
  const [n, h, w, c] = data.shape;
  const model = modelFunction(config, weights, { training: false });
  const batches = shardPoints(Math.ceil(n / batchSize), shard);
  const total = batches.reduce((a, b) => a + Math.min(batchSize, n - b * batchSize), 0);
  const records: BatchRecord[] = [];
  let done = 0;
  for (const batch of batches) {
    const start = batch * batchSize;
    const size = Math.min(batchSize, n - start);
    const x = tf.tensor4d(data.images.subarray(start * h * w * c, (start + size) * h * w * c), [size, h, w, c]);
    const labels = tf.tensor1d(data.labels.subarray(start, start + size), 'int32');
    const batchSeed = seed * 100_003 + batch;
    const run = attack.kind === 'none' ? undefined : runAttackWithOutcome(attack, model, x, labels, batchSeed);
    const xAdv = run?.xAdv;
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
    const record: BatchRecord = { batch, count: size, cleanLoss: cleanLoss!, cleanCorrect: cleanCorrect! };
    if (xAdv !== undefined) [record.robustLoss, record.robustCorrect] = robust.splice(0, 2) as [number, number];
    if (xPgd !== undefined) [record.checkLoss, record.checkCorrect] = robust as [number, number];
    if (run?.fooledByMember !== undefined) record.fooledByMember = [...run.fooledByMember];
    if (run?.outcome !== undefined) record.outcome = run.outcome;
    tf.dispose([x, labels, values, ...[xAdv, xPgd].filter((t) => t !== undefined)]);
    records.push(record);
    done += size;
    onProgress?.(done, total);
  }
  return records;
}

/** Metrics of the split (of a shard's batches only, with a shard). */
export function evaluateSplit(request: SplitRequest): SplitMetrics {
  const { attack, pgdCheck, seed, data } = request;
  return metricsFromBatches(splitBatches(request), { attack, pgdCheck, seed, spec: data.spec });
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
