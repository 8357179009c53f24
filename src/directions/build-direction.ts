/**
 * Turns a direction spec into tensors for a model, recording how it was made. One rule for every
 * kind: unless includeBn, parameters of rank ≤ 1 (biases, BatchNorm γ/β) get direction exactly 0.
 */
import * as tf from '@tensorflow/tfjs';
import { loadCheckpoint } from '../checkpoints/load-checkpoint.ts';
import { checkpointToWeights, disposeWeights } from '../checkpoints/map-to-model.ts';
import type { ModelConfig, ModelWeights, TensorMap } from '../models/types.ts';
import { adversarialDirection } from './adversarial-direction.ts';
import { loadDirection } from './direction-file.ts';
import { formatDirection, type DirectionSpec } from './direction-spec.ts';
import { topHessianEigen } from './hessian.ts';
import { normalizeDirection } from './normalize.ts';
import { gaussianDirection } from './random-direction.ts';

import type { DirectionInfo } from '../results/landscape-schema.ts';

export type { DirectionInfo };

export interface DirectionContext {
  weights: ModelWeights;
  config: ModelConfig;
  /** Batches for the data-dependent directions: clean inputs, their adversarial versions, labels. */
  batches: Array<{ x: tf.Tensor4D; xAdv: tf.Tensor4D; labels: tf.Tensor1D }>;
  includeBn: boolean;
  seed: number;
  /** hessian: the loss on adversarial inputs (held fixed) instead of clean ones. */
  adversarialLoss: boolean;
}

/** Whether the direction is computed from data (it needs DirectionContext.batches). */
export function needsBatches(spec: DirectionSpec): boolean {
  return spec.kind === 'adversarial' || spec.kind === 'hessian';
}

/** AWP's γ and ascent steps for the adversarial direction (recorded in a sweep's identity). */
export const AWP_DIRECTION = { gamma: 0.01, steps: 1 } as const;
/** Lanczos on exact products for the hessian direction (recorded in a sweep's identity). */
export const HESSIAN_DIRECTION = { method: 'lanczos', product: 'exact', maxIterations: 100, tolerance: 1e-3 } as const;

/** Replaces the rank ≤ 1 entries by zeros (disposing them), in place. */
function zeroVectors(direction: TensorMap): TensorMap {
  for (const [name, d] of Object.entries(direction)) {
    if (d.rank > 1) continue;
    direction[name] = tf.zerosLike(d);
    d.dispose();
  }
  return direction;
}

export function buildDirection(
  spec: DirectionSpec,
  context: DirectionContext,
): { direction: TensorMap; info: DirectionInfo } {
  const built = buildAnyDirection(spec, context);
  return context.includeBn ? built : { direction: zeroVectors(built.direction), info: built.info };
}

function buildAnyDirection(
  spec: DirectionSpec,
  context: DirectionContext,
): { direction: TensorMap; info: DirectionInfo } {
  const { weights, config, includeBn } = context;
  // A seeded Gaussian spec (filter:seed=3) carries its own seed; otherwise the sweep's.
  const seed = 'seed' in spec && spec.seed !== undefined ? spec.seed : context.seed;
  const info: DirectionInfo = { spec: formatDirection(spec), normalization: 'filter', includeBn, seed };
  switch (spec.kind) {
    case 'random': {
      info.normalization = 'none';
      return { direction: gaussianDirection(weights.params, seed), info };
    }
    case 'filter':
    case 'layer': {
      info.normalization = spec.kind;
      const raw = gaussianDirection(weights.params, seed);
      const direction = normalizeDirection(raw, weights.params, spec.kind, includeBn);
      tf.dispose(Object.values(raw));
      return { direction, info };
    }
    case 'adversarial': {
      const first = context.batches[0]!;
      return {
        direction: adversarialDirection(weights, config, first.xAdv, first.labels, { includeBn, ...AWP_DIRECTION }),
        info,
      };
    }
    case 'hessian': {
      const batches = context.batches.map((b) => ({ x: context.adversarialLoss ? b.xAdv : b.x, labels: b.labels }));
      const eigen = topHessianEigen(config, weights, batches, { seed, ...HESSIAN_DIRECTION });
      Object.assign(info, {
        eigenvalue: eigen.eigenvalue,
        residual: eigen.residual,
        iterations: eigen.iterations,
        converged: eigen.converged,
      });
      const direction = normalizeDirection(eigen.vector, weights.params, 'filter', includeBn);
      tf.dispose(Object.values(eigen.vector));
      return { direction, info };
    }
    case 'interpolate': {
      info.normalization = 'none';
      const other = checkpointToWeights(loadCheckpoint(spec.checkpoint), config).weights;
      const direction = tf.tidy(() =>
        Object.fromEntries(Object.entries(weights.params).map(([n, p]) => [n, tf.sub(other.params[n]!, p)])),
      );
      disposeWeights(other);
      return { direction, info };
    }
    case 'file': {
      info.normalization = 'none';
      return { direction: loadDirection(spec.path, weights.params, config), info };
    }
  }
}
