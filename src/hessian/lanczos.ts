/**
 * The k largest-algebraic eigenvalues of a symmetric operator and their eigenvectors, by Lanczos
 * with full reorthogonalization. PyHessian's power iteration finds the eigenvalue of largest
 * magnitude and stops on a relative change of 1e-3; this reports the top of the spectrum (a negative
 * eigenvalue of larger magnitude than every positive one is not reported) and stops on residuals.
 */
import { assertArgument } from '../errors.ts';
import {
  axpy,
  dot,
  gaussianVector,
  type HessianOperator,
  norm,
  scale,
  seededGaussianStream,
} from './hessian-operator.ts';
import { isBreakdown, lanczosStep, normalized, orthogonalStart } from './lanczos-step.ts';
import { type TridiagonalEigen, tridiagonalEigen } from './tridiagonal-eigen.ts';

export interface LanczosOptions {
  /** How many eigenpairs (default 1); more than the operator's size gives all of them. */
  k?: number;
  /** Relative residual ‖Hy − λy‖/|λ| every returned pair must reach (default 1e-3). */
  tolerance?: number;
  /** Lanczos vectors at most, each one operator application (default 100); kept in memory. */
  maxIterations?: number;
  /** Seed of the Gaussian start (and restart) vectors (default 0). */
  seed?: number;
  onProgress?: (progress: LanczosProgress) => void;
}

export interface LanczosProgress {
  iteration: number;
  maxIterations: number;
  operatorApplications: number;
  /** The largest Ritz value so far. */
  largest: number;
  /** The largest residual estimate |β·s_m,i|/|θ_i| over the top k Ritz pairs. */
  worstEstimate: number;
}

export interface Eigenpair {
  /** The Rayleigh quotient yᵀHy of the returned unit vector y. */
  value: number;
  /** ‖Hy − λy‖/|λ| from one true operator application (0 for an exact pair, Infinity when λ = 0 and Hy ≠ 0). */
  residual: number;
  /** residual ≤ tolerance. */
  converged: boolean;
}

export interface TopEigenpairs {
  /** Largest algebraic first. */
  values: Eigenpair[];
  /** Unit eigenvectors, in the order of `values`. */
  vectors: Float32Array[];
  /** Lanczos vectors built (one operator application each). */
  iterations: number;
  /** All operator applications, including one per returned vector for each residual check. */
  operatorApplications: number;
}

export const LANCZOS_DEFAULTS = { k: 1, tolerance: 1e-3, maxIterations: 100, seed: 0 } as const;

/** |numerator|/|value|, with an exact zero residual counted as 0 even when the value is 0. */
function relative(numerator: number, value: number): number {
  return numerator === 0 ? 0 : Math.abs(numerator) / Math.abs(value);
}

/** Indices of the `count` largest eigenvalues of an ascending decomposition, largest first. */
function topIndices(eig: TridiagonalEigen, count: number): number[] {
  const m = eig.values.length;
  return Array.from({ length: Math.min(count, m) }, (_, i) => m - 1 - i);
}

/**
 * Ritz vectors y = Q s for the chosen pairs, each checked with one operator application: the value
 * becomes the Rayleigh quotient of the float32 vector and the residual is the true one.
 */
function confirmedPairs(
  op: HessianOperator,
  basis: readonly Float32Array[],
  t: { alphas: readonly number[]; betas: readonly number[] },
  count: number,
  tolerance: number,
): { pairs: Eigenpair[]; vectors: Float32Array[] } {
  const eig = tridiagonalEigen(t.alphas, t.betas);
  const results = topIndices(eig, count).map((i) => {
    const y = new Float32Array(op.size);
    basis.forEach((q, j) => axpy(eig.vectors[j]![i]!, q, y));
    scale(1 / norm(y), y);
    const hy = op.apply(y);
    // y is unit only to float32 rounding; dividing by yᵀy keeps that out of the value.
    const value = dot(y, hy) / dot(y, y);
    let squared = 0;
    for (let t = 0; t < hy.length; t++) squared += (hy[t]! - value * y[t]!) ** 2;
    const residual = relative(Math.sqrt(squared), value);
    return { pair: { value, residual, converged: residual <= tolerance }, vector: y };
  });
  results.sort((a, b) => b.pair.value - a.pair.value);
  return { pairs: results.map((r) => r.pair), vectors: results.map((r) => r.vector) };
}

/**
 * The k largest-algebraic eigenpairs of `op` by Lanczos with full reorthogonalization (defaults: k 1,
 * tolerance 1e-3 relative, maxIterations 100, seed 0).
 *
 * Each step the top k Ritz pairs of T are judged by the Lanczos estimate |β_m·s_m,i|/|θ_i|; when all
 * pass, the Ritz vectors are formed and each residual ‖Hy − θy‖/|θ| is computed with one extra
 * operator application. Converged means that true residual is ≤ tolerance itself, no slack: with
 * full reorthogonalization the true residual equals the estimate up to float32 rounding (≈1e-6 of
 * ‖H‖/|θ|), far below the default 1e-3, so a pair that misses it is reported, not excused. If a
 * check fails the estimate's bar drops tenfold before the next one.
 *
 * A breakdown (β ≈ 0: the start vector's Krylov space is invariant) restarts from a random vector
 * orthogonal to the basis, so repeated eigenvalues, which one Krylov space holds only once, can be
 * found; the restarted block must converge its own largest Ritz value before the run may stop, and a
 * restarted block that breaks down below the k-th value ends the run. Without a breakdown a repeated
 * eigenvalue may still be reported once (a limitation of single-vector Lanczos). When every
 * direction is used (n ≤ maxIterations) the decomposition is exact up to rounding.
 */
export function topEigenpairs(op: HessianOperator, options: LanczosOptions = {}): TopEigenpairs {
  const { k, tolerance, maxIterations, seed } = { ...LANCZOS_DEFAULTS, ...options };
  const n = op.size;
  assertArgument(
    Number.isInteger(n) && n >= 1,
    'topEigenpairs',
    'operator size',
    () => `${n} is not a positive integer`,
  );
  assertArgument(Number.isInteger(k) && k >= 1, 'topEigenpairs', 'k', () => `${k} is not a positive integer`);
  assertArgument(tolerance > 0 && tolerance < 1, 'topEigenpairs', 'tolerance', () => `${tolerance} is not in (0, 1)`);
  const wanted = Math.min(k, n);
  assertArgument(
    Number.isInteger(maxIterations) && maxIterations >= wanted,
    'topEigenpairs',
    'maxIterations',
    () => `${maxIterations} must be an integer of at least k (${wanted})`,
  );
  const limit = Math.min(maxIterations, n);
  const gaussian = seededGaussianStream(seed);
  const draw = (): Float32Array => gaussianVector(n, gaussian);
  const basis: Float32Array[] = [orthogonalStart(draw, [])!];
  const alphas: number[] = [];
  const betas: number[] = [];
  let blockStart = 0;
  let largestProduct = 0;
  let applications = 0;
  let estimateBar = tolerance;

  for (;;) {
    const step = lanczosStep(op, basis);
    applications++;
    alphas.push(step.alpha);
    largestProduct = Math.max(largestProduct, step.productNorm);
    const m = basis.length;
    const eig = tridiagonalEigen(alphas, betas, [m - 1]);
    const top = topIndices(eig, wanted);
    const estimates = top.map((i) => relative(step.beta * eig.vectors[m - 1]![i]!, eig.values[i]!));
    const worstEstimate = Math.max(...estimates);
    // The current block's own largest Ritz pair (after a restart T is block diagonal).
    const blockLast = m - 1 - blockStart;
    const block = tridiagonalEigen(alphas.slice(blockStart), betas.slice(blockStart), [blockLast]);
    const blockTopValue = block.values[blockLast]!;
    const blockEstimate = relative(step.beta * block.vectors[blockLast]![blockLast]!, blockTopValue);
    options.onProgress?.({
      iteration: m,
      maxIterations: limit,
      operatorApplications: applications,
      largest: eig.values[eig.values.length - 1]!,
      worstEstimate,
    });
    const breakdown = isBreakdown(step.beta, largestProduct);
    const haveK = top.length === wanted;
    const kthValue = eig.values[top[top.length - 1]!]!;
    let mayStop: boolean;
    if (breakdown) {
      // The first block's breakdown says nothing about directions outside its Krylov space; a later
      // block's does: it holds the largest eigenvalue left outside the earlier blocks.
      mayStop = haveK && blockStart > 0 && blockTopValue < kthValue;
    } else {
      mayStop = haveK && worstEstimate <= estimateBar && (blockStart === 0 || blockEstimate <= estimateBar);
    }
    const next = m >= limit ? null : breakdown ? orthogonalStart(draw, basis) : normalized(step.remainder, step.beta);
    if (mayStop || next === null) {
      const { pairs, vectors } = confirmedPairs(op, basis, { alphas, betas }, wanted, tolerance);
      applications += top.length;
      if (next === null || pairs.every((p) => p.converged)) {
        return { values: pairs, vectors, iterations: m, operatorApplications: applications };
      }
      estimateBar /= 10;
    }
    if (breakdown) blockStart = m;
    betas.push(breakdown ? 0 : step.beta);
    basis.push(next!);
  }
}
