/**
 * The adversarial (AWP) direction, as AWP's reference utils_awp.py computes its perturbation: on a
 * batch of adversarial examples made on θ, a proxy in train mode takes K plain SGD ascent steps
 * (lr 0.01) on the cross-entropy; per weight of rank > 1, Δ_l = proxy_l − θ_l rescaled to γ‖θ_l‖.
 * The result is then filter-normalized like random directions, so α has the same scale.
 */
import * as tf from '@tensorflow/tfjs';
import { modelFunction } from '../models/engine-registry.ts';
import type { ModelConfig, ModelWeights, TensorMap } from '../models/types.ts';
import { awpPerturbation, type GradientFunction } from '../train/awp.ts';
import { normalizeDirection } from './normalize.ts';

export function adversarialDirection(
  weights: ModelWeights,
  config: ModelConfig,
  xAdv: tf.Tensor4D,
  labels: tf.Tensor1D,
  { gamma = 0.01, steps = 1, includeBn = false } = {},
): TensorMap {
  // The proxy's gradient is the engine's training gradient (mean CE in train mode), as AWP's training step uses.
  const gradients: GradientFunction = (params) => {
    const result = modelFunction(config, { params, state: weights.state }, { training: true }).trainingGradients(
      xAdv,
      labels,
    );
    tf.dispose([result.loss, ...Object.values(result.state)]);
    return result.grads;
  };
  const v = awpPerturbation(weights.params, gradients, gamma, steps);
  const full: TensorMap = {};
  for (const [name, p] of Object.entries(weights.params)) full[name] = v[name] ?? tf.zerosLike(p);
  const normalized = normalizeDirection(full, weights.params, 'filter', includeBn);
  tf.dispose(Object.values(full));
  return normalized;
}
