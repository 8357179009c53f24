/**
 * PGD-10 (L∞, eps 8/255, step 2/255, random start) on a batch of 128 random images in eval mode:
 * TRADES' convnet on 28×28×1 and a narrow preact-resnet18 (width 16) on 32×32×3.
 * bench/torch_pgd.py runs the same workloads in PyTorch.
 */
import * as tf from '@tensorflow/tfjs';
import type { PgdSpec } from '../src/attacks/attack-spec.ts';
import { pgdAttack } from '../src/attacks/pgd.ts';
import { architecture } from '../src/models/registry.ts';
import type { ModelConfig } from '../src/models/types.ts';
import { initWeights } from '../src/train/init-weights.ts';
import { timeWorkload, type Timing } from './timing.ts';

export const PGD_BENCH_BATCH = 128;
export const PGD_BENCH_SPEC: PgdSpec = { kind: 'pgd', norm: 'linf', eps: 8 / 255, step: 2 / 255, steps: 10, randomStart: true, restarts: 1, loss: 'ce' };

export const PGD_BENCH_MODELS: Array<{ name: string; config: ModelConfig }> = [
  { name: 'convnet', config: { arch: 'convnet', options: { width: 32, hidden: 200, dropout: 0.5 }, input: { height: 28, width: 28, channels: 1 }, classes: 10 } },
  { name: 'preact-resnet18 (width 16)', config: { arch: 'preact-resnet18', options: { width: 16 }, input: { height: 32, width: 32, channels: 3 }, classes: 10 } },
];

export interface AttackFigure extends Timing {
  name: string;
  imagesPerSecond: number;
}

export function benchPgd(): AttackFigure[] {
  return PGD_BENCH_MODELS.map(({ name, config }) => {
    const weights = initWeights(config, 1);
    const net = architecture(config.arch);
    const { height, width, channels } = config.input;
    const x = tf.randomUniform([PGD_BENCH_BATCH, height, width, channels], 0, 1, 'float32', 3) as tf.Tensor4D;
    const labels = tf.tensor1d(Array.from({ length: PGD_BENCH_BATCH }, (_, i) => i % 10), 'int32');
    const logitsFn = (input: tf.Tensor4D) => net.forward(weights, input, config as ModelConfig<never>, { training: false }).logits;
    const timing = timeWorkload(() => {
      const xAdv = pgdAttack(logitsFn, x, labels, PGD_BENCH_SPEC, 0);
      tf.tidy(() => tf.sum(xAdv).dataSync());
      xAdv.dispose();
    }, { warmup: 1, runs: 3 });
    tf.dispose([x, labels, ...Object.values(weights.params), ...Object.values(weights.state)]);
    return { name, ...timing, imagesPerSecond: (PGD_BENCH_BATCH / timing.medianMs) * 1000 };
  });
}
