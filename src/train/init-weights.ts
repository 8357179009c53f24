/**
 * Fresh weights for an architecture, seeded: He-normal convolutions (fan-in, as the reference
 * SmallCNN and WideResNet initialize), PyTorch's default U(±1/√fan_in) for linear layers and
 * their biases, zero conv biases, BatchNorm γ = 1, β = 0, running mean 0, variance 1.
 */
import * as tf from '@tensorflow/tfjs';
import { modelFor } from '../models/registry.ts';
import type { ModelConfig, ModelWeights } from '../models/types.ts';
import { seededNormal } from '../random.ts';

export function initWeights(config: ModelConfig, seed: number): ModelWeights {
  const weights: ModelWeights = { params: {}, state: {} };
  const specs = modelFor(config).tensorSpecs();
  const fanIns = new Map(
    specs.filter((s) => s.role === 'linear-weight').map((s) => [s.name.replace(/\.weight$/, ''), s.shape[1]!]),
  );
  specs.forEach((spec, i) => {
    const s = seed * 1009 + i;
    switch (spec.role) {
      case 'conv-weight': {
        const [o, inC, h, w] = spec.shape as [number, number, number, number];
        weights.params[spec.name] = seededNormal([h, w, inC, o], 0, Math.sqrt(2 / (inC * h * w)), s);
        break;
      }
      case 'linear-weight': {
        const bound = 1 / Math.sqrt(spec.shape[1]!);
        weights.params[spec.name] = tf.randomUniform([spec.shape[1]!, spec.shape[0]!], -bound, bound, 'float32', s);
        break;
      }
      case 'bias': {
        const fanIn = fanIns.get(spec.name.replace(/\.bias$/, ''));
        weights.params[spec.name] =
          fanIn === undefined
            ? tf.zeros(spec.shape)
            : tf.randomUniform(spec.shape, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn), 'float32', s);
        break;
      }
      case 'bn-weight':
        weights.params[spec.name] = tf.ones(spec.shape);
        break;
      case 'bn-bias':
        weights.params[spec.name] = tf.zeros(spec.shape);
        break;
      case 'bn-running-mean':
        weights.state[spec.name] = tf.zeros(spec.shape);
        break;
      case 'bn-running-var':
        weights.state[spec.name] = tf.ones(spec.shape);
        break;
      case 'bn-count':
        weights.state[spec.name] = tf.scalar(0, 'int32');
        break;
    }
  });
  return weights;
}
