/**
 * The top Hessian eigenvalue (largest algebraic) and its unit eigenvector, of the mean
 * cross-entropy over the given batches with BatchNorm in eval mode, by Lanczos on exact
 * Hessian-vector products: what the hessian direction and flatness's eigenvalue use.
 */
import { topEigenpairs } from '../hessian/lanczos.ts';
import { modelHessianOperator, unflatten, type HessianBatch } from '../hessian/model-hessian-operator.ts';
import type { ModelConfig, ModelWeights, TensorMap } from '../models/types.ts';

export interface HessianEigen {
  eigenvalue: number;
  /** ‖Hv − λv‖/|λ| of the returned vector. */
  residual: number;
  /** Unit-norm eigenvector over all parameters, by name. */
  vector: TensorMap;
  iterations: number;
  converged: boolean;
}

export interface HessianEigenOptions {
  maxIterations: number;
  /** Relative residual the eigenpair must reach. */
  tolerance: number;
  seed: number;
}

export function topHessianEigen(
  config: ModelConfig,
  weights: ModelWeights,
  batches: HessianBatch[],
  { maxIterations, tolerance, seed }: HessianEigenOptions,
): HessianEigen {
  const op = modelHessianOperator(config, weights, batches, { bn: 'eval' });
  const top = topEigenpairs(op, { k: 1, maxIterations, tolerance, seed });
  const pair = top.values[0]!;
  const flat = top.vectors[0]!;
  const vector = unflatten(flat, op.blocks, weights.params);
  return {
    eigenvalue: pair.value,
    residual: pair.residual,
    vector,
    iterations: top.iterations,
    converged: pair.converged,
  };
}
