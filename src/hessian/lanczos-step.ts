/**
 * One step of the Lanczos process with full reorthogonalization, shared by the eigen-solver and
 * stochastic Lanczos quadrature. Classical Gram–Schmidt against every kept vector, done twice
 * ("twice is enough", Giraud et al. 2005): float32 storage loses orthogonality after one pass when
 * H·q is nearly inside the basis, and a basis that is not orthonormal gives ghost Ritz values.
 */
import { WeightscapeError } from '../errors.ts';
import { axpy, dot, type HessianOperator, norm, scale } from './hessian-operator.ts';

/**
 * β at or below this fraction of the largest ‖H·q‖ seen so far is a breakdown: the Krylov space is
 * invariant up to float32 rounding (about 1e-7 relative per operation), so normalizing the
 * remainder would only amplify rounding noise.
 */
export const BREAKDOWN_RELATIVE = 1e-6;

export interface LanczosStep {
  /** T's diagonal entry q_jᵀ H q_j. */
  alpha: number;
  /** ‖w‖ after orthogonalization: T's next off-diagonal entry. */
  beta: number;
  /** The orthogonalized remainder w (not normalized). */
  remainder: Float32Array;
  /** ‖H q_j‖, a lower bound on ‖H‖ for the breakdown test. */
  productNorm: number;
}

/** w ← w − Q Qᵀ w twice (classical Gram–Schmidt); returns the total coefficient on each basis vector. */
export function orthogonalizeTwice(w: Float32Array, basis: readonly Float32Array[]): number[] {
  const total = basis.map(() => 0);
  for (let pass = 0; pass < 2; pass++) {
    // Classical: all coefficients from the same w, then subtract.
    const coefficients = basis.map((q) => dot(q, w));
    basis.forEach((q, i) => {
      axpy(-coefficients[i]!, q, w);
      total[i] = total[i]! + coefficients[i]!;
    });
  }
  return total;
}

/** Applies H to the last basis vector and orthogonalizes the product against the whole basis. */
export function lanczosStep(op: HessianOperator, basis: readonly Float32Array[]): LanczosStep {
  const last = basis[basis.length - 1]!;
  const w = op.apply(last);
  if (w.length !== op.size) {
    throw new WeightscapeError('internal', `Hessian operator returned ${w.length} values for ${op.size} parameters`);
  }
  const productNorm = norm(w);
  if (!Number.isFinite(productNorm)) {
    throw new WeightscapeError('numeric', 'the Hessian-vector product has a non-finite entry (NaN or infinite loss?)');
  }
  const coefficients = orthogonalizeTwice(w, basis);
  // α = q_jᵀ H q_j; the second pass's correction belongs to it too. The other coefficients are
  // β_{j−1} (already in T) and rounding, which full reorthogonalization removes instead of keeping.
  const alpha = coefficients[coefficients.length - 1]!;
  return { alpha, beta: norm(w), remainder: w, productNorm };
}

/** True when β is a breakdown relative to the largest product norm seen. */
export function isBreakdown(beta: number, largestProductNorm: number): boolean {
  return beta <= BREAKDOWN_RELATIVE * largestProductNorm;
}

/** w / β as the next basis vector (w is consumed). */
export function normalized(w: Float32Array, beta: number): Float32Array {
  scale(1 / beta, w);
  return w;
}

/**
 * A new unit vector orthogonal to the basis, drawn from `draw` (used to restart after a breakdown);
 * null when the draw has (numerically) nothing outside the basis, i.e. the space is exhausted.
 */
export function orthogonalStart(draw: () => Float32Array, basis: readonly Float32Array[]): Float32Array | null {
  for (let attempt = 0; attempt < 3; attempt++) {
    const v = draw();
    const before = norm(v);
    orthogonalizeTwice(v, basis);
    const after = norm(v);
    // A random vector keeps about √((n − m)/n) of its norm outside an m-dimensional basis.
    if (after > 1e-3 * before) return normalized(v, after);
  }
  return null;
}
