/**
 * PGD-10 (L∞, eps 8/255, step 2/255, random start) on a batch of 128 random images in eval mode:
 * TRADES' convnet on 28×28×1 and a narrow preact-resnet18 (width 16) on 32×32×3.
 * bench/torch_pgd.py runs the same workloads in PyTorch.
 */
import * as tf from '@tensorflow/tfjs';
import type { PgdSpec } from '../src/attacks/attack-spec.ts';
import { pgdAttack } from '../src/attacks/pgd.ts';
import { architecture } from '../src/models/registry.ts';
import type { ModelConfig, ModelWeights } from '../src/models/types.ts';
import { timeWorkload, type Timing } from './timing.ts';

export const PGD_BENCH_BATCH = 128;
export const PGD_BENCH_SPEC: PgdSpec = { kind: 'pgd', norm: 'linf', eps: 8 / 255, step: 2 / 255, steps: 10, randomStart: true, restarts: 1, loss: 'ce' };

export const PGD_BENCH_MODELS: Array<{ name: string; config: ModelConfig }> = [
  { name: 'convnet', config: { arch: 'convnet', options: { width: 32, hidden: 200, dropout: 0.5 }, input: { height: 28, width: 28, channels: 1 }, classes: 10 } },
  { name: 'preact-resnet18 (width 16)', config: { arch: 'preact-resnet18', options: { width: 16 }, input: { height: 32, width: 32, channels: 3 }, classes: 10 } },
];

/** Random weights in tfjs layout, BN statistics near identity. */
export function randomWeights(config: ModelConfig, seed: number): ModelWeights {
  const weights: ModelWeights = { params: {}, state: {} };
  architecture(config.arch).tensorSpecs(config as ModelConfig<never>).forEach((spec, i) => {
    const shape = spec.role === 'conv-weight' ? [spec.shape[2]!, spec.shape[3]!, spec.shape[1]!, spec.shape[0]!]
      : spec.role === 'linear-weight' ? [spec.shape[1]!, spec.shape[0]!] : spec.shape;
    const fanIn = spec.role === 'conv-weight' ? spec.shape[1]! * spec.shape[2]! * spec.shape[3]! : spec.shape[1] ?? 1;
    switch (spec.role) {
      case 'bn-running-var': case 'bn-weight': weights[spec.role === 'bn-weight' ? 'params' : 'state'][spec.name] = tf.ones(shape); break;
      case 'bn-running-mean': weights.state[spec.name] = tf.zeros(shape); break;
      case 'bn-count': weights.state[spec.name] = tf.scalar(0, 'int32'); break;
      case 'bn-bias': case 'bias': weights.params[spec.name] = tf.zeros(shape); break;
      default: weights.params[spec.name] = tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', seed + i);
    }
  });
  return weights;
}

export interface AttackFigure extends Timing {
  name: string;
  imagesPerSecond: number;
}

export function benchPgd(): AttackFigure[] {
  return PGD_BENCH_MODELS.map(({ name, config }) => {
    const weights = randomWeights(config, 1);
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
