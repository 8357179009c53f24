/** Clean (unattacked) loss and accuracy of a model on labeled images, batch by batch. */
import * as tf from '@tensorflow/tfjs';
import type { LabeledImages } from '../data/dataset.ts';
import { WeightscapeError } from '../errors.ts';
import { correctCount, crossEntropyPerExample } from '../models/loss.ts';
import { architecture } from '../models/registry.ts';
import type { ModelConfig, ModelWeights } from '../models/types.ts';

export interface CleanMetrics {
  /** Mean cross-entropy, natural log. */
  loss: number;
  /** Fraction correct, in [0, 1]. */
  accuracy: number;
  count: number;
}

/** Evaluates in eval mode (running BatchNorm statistics); sums are reduced on the backend. */
export function evaluateClean(weights: ModelWeights, config: ModelConfig, data: LabeledImages, batchSize = 256,
  onProgress?: (done: number, total: number) => void): CleanMetrics {
  const [n, h, w, c] = data.shape;
  const net = architecture(config.arch);
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const [batchLoss, batchCorrect] = tf.tidy(() => {
      const x = tf.tensor4d(data.images.subarray(start * h * w * c, (start + size) * h * w * c), [size, h, w, c]);
      const labels = tf.tensor1d(data.labels.subarray(start, start + size), 'int32');
      const { logits } = net.forward(weights, x, config as ModelConfig<never>, { training: false });
      return [tf.sum(crossEntropyPerExample(logits, labels)), correctCount(logits, labels)];
    });
    lossSum += batchLoss!.dataSync()[0]!;
    correct += batchCorrect!.dataSync()[0]!;
    tf.dispose([batchLoss!, batchCorrect!]);
    onProgress?.(start + size, n);
  }
  const loss = lossSum / n;
  if (!Number.isFinite(loss)) throw new WeightscapeError('numeric', `clean loss is ${loss} on ${data.spec}`);
  return { loss, accuracy: correct / n, count: n };
}
