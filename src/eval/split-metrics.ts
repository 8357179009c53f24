/**
 * Clean and robust loss and accuracy of a model on one split, batch by batch, in eval mode
 * (running BatchNorm statistics). An example is robustly correct when it is classified correctly
 * both clean and under the attack (the clean input lies in every threat ball), so robust accuracy
 * never exceeds clean accuracy. Robust loss is the cross-entropy at the adversarial input.
 */
import * as tf from '@tensorflow/tfjs';
import type { AttackSpec } from '../attacks/attack-spec.ts';
import { runAttack } from '../attacks/run-attack.ts';
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
  onProgress?: (done: number, total: number) => void;
}

export function evaluateSplit({
  weights,
  config,
  data,
  attack,
  batchSize,
  seed,
  onProgress,
}: SplitRequest): SplitMetrics {
  const [n, h, w, c] = data.shape;
  const model = modelFunction(config, weights, { training: false });
  const sums = { cleanLoss: 0, cleanCorrect: 0, robustLoss: 0, robustCorrect: 0 };
  for (let start = 0, batch = 0; start < n; start += batchSize, batch++) {
    const size = Math.min(batchSize, n - start);
    const x = tf.tensor4d(data.images.subarray(start * h * w * c, (start + size) * h * w * c), [size, h, w, c]);
    const labels = tf.tensor1d(data.labels.subarray(start, start + size), 'int32');
    const xAdv = attack.kind === 'none' ? undefined : runAttack(attack, model, x, labels, seed * 100_003 + batch);
    const values = tf.tidy(() => {
      const cleanLogits = model.logits(x);
      const cleanRight = tf.equal(tf.argMax(cleanLogits, 1), labels);
      const reductions = [tf.sum(crossEntropyPerExample(cleanLogits, labels)), tf.sum(tf.cast(cleanRight, 'float32'))];
      if (xAdv !== undefined) {
        const advLogits = model.logits(xAdv);
        const bothRight = tf.logicalAnd(cleanRight, tf.equal(tf.argMax(advLogits, 1), labels));
        reductions.push(tf.sum(crossEntropyPerExample(advLogits, labels)), tf.sum(tf.cast(bothRight, 'float32')));
      }
      return tf.stack(reductions);
    });
    const [cleanLoss, cleanCorrect, robustLoss = 0, robustCorrect = 0] = values.dataSync();
    tf.dispose([x, labels, values, ...(xAdv === undefined ? [] : [xAdv])]);
    sums.cleanLoss += cleanLoss!;
    sums.cleanCorrect += cleanCorrect!;
    sums.robustLoss += robustLoss;
    sums.robustCorrect += robustCorrect;
    onProgress?.(start + size, n);
  }
  const result: SplitMetrics = { count: n, clean: { loss: sums.cleanLoss / n, accuracy: sums.cleanCorrect / n } };
  if (attack.kind !== 'none') result.robust = { loss: sums.robustLoss / n, accuracy: sums.robustCorrect / n };
  for (const value of [result.clean.loss, result.robust?.loss ?? 0]) {
    if (!Number.isFinite(value)) throw new WeightscapeError('numeric', `loss is ${value} on ${data.spec}`);
  }
  return result;
}
