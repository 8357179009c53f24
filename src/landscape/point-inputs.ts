/**
 * What a grid point is evaluated on besides its weights: the examples (regenerated at the point,
 * or, in the fixed-examples mode, made once at θ) and the BatchNorm statistics (the checkpoint's,
 * or recomputed at the perturbed weights).
 */
import * as tf from '@tensorflow/tfjs';
import type { AttackSpec } from '../attacks/attack-spec.ts';
import { runAttack } from '../attacks/run-attack.ts';
import type { LabeledImages } from '../data/dataset.ts';
import { tensorBatches } from '../data/tensor-batches.ts';
import { modelFunction } from '../models/engine-registry.ts';
import type { ModelConfig, ModelWeights, TensorMap } from '../models/types.ts';

/** Adversarial versions of every image, made once at θ (the fixed-examples mode). */
export function fixedAdversarialData(
  data: LabeledImages,
  weights: ModelWeights,
  config: ModelConfig,
  attack: AttackSpec,
  batchSize: number,
  seed: number,
): LabeledImages {
  const logitsFn = modelFunction(config, weights, { training: false });
  const images = new Float32Array(data.images.length);
  let offset = 0;
  tensorBatches(data, batchSize, Infinity).forEach(({ x, labels }, b) => {
    const xAdv = runAttack(attack, logitsFn, x, labels, seed * 100_003 + b);
    const values = xAdv.dataSync();
    images.set(values, offset);
    offset += values.length;
    tf.dispose([x, labels, xAdv]);
  });
  return { ...data, images, spec: `${data.spec} (adversarial examples fixed at θ)` };
}

/** BatchNorm statistics recomputed at the perturbed weights: cumulative average over batches. */
export function recalibratedState(
  params: TensorMap,
  state: TensorMap,
  config: ModelConfig,
  data: LabeledImages,
  batchSize: number,
  batches: number,
): TensorMap {
  let current = state;
  tensorBatches(data, batchSize, batches).forEach(({ x, labels }, i) => {
    const next = modelFunction(config, { params, state: current }, { training: true }).cumulativeBatchNormState(x, i);
    if (current !== state) tf.dispose(Object.values(current));
    current = Object.keys(next).length > 0 ? next : current;
    tf.dispose([x, labels]);
  });
  return current;
}
