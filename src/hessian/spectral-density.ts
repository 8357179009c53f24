/**
 * The eigenvalue density of a symmetric operator by stochastic Lanczos quadrature (Ubaru, Chen &
 * Saad 2017; PyHessian's `density`). For a unit start vector q, m Lanczos steps give T = S Θ Sᵀ and
 * qᵀ f(H) q ≈ Σ_i w_i f(θ_i) with nodes θ_i and weights w_i = S_0i² (sum 1), exact for polynomials
 * of degree ≤ 2m − 1. With q = z/√n for a Rademacher z, E[qᵀ f(H) q] = (1/n) tr f(H): the spectral
 * measure, which Gaussian smoothing turns into a density.
 */
import { assertArgument } from '../errors.ts';
import { seededUniform } from '../random.ts';
import { type HessianOperator, rademacherVector, scale } from './hessian-operator.ts';
import { isBreakdown, lanczosStep, normalized } from './lanczos-step.ts';
import { tridiagonalEigen } from './tridiagonal-eigen.ts';

export interface DensityOptions {
  /** Independent Rademacher start vectors (default 3). */
  runs?: number;
  /** Lanczos steps per run, at most the operator's size (default 100, PyHessian's). */
  steps?: number;
  /** Standard deviation of the smoothing Gaussian as a fraction of the span of all nodes (default 0.005). */
  sigma?: number;
  /** Grid points (default 1000); sigma must cover at least one grid spacing. */
  points?: number;
  /** Seed of the Rademacher start vectors (default 0). */
  seed?: number;
  onProgress?: (progress: { run: number; runs: number; step: number; steps: number }) => void;
}

/** One run's Gauss quadrature: Ritz values and the squared first components of T's eigenvectors. */
export interface QuadratureRun {
  nodes: number[];
  weights: number[];
}

export interface SpectralDensity {
  /** Evenly spaced eigenvalues from the smallest node − 5σ to the largest node + 5σ. */
  grid: number[];
  /** Smoothed density per unit eigenvalue at each grid point; its trapezoid integral is 1. */
  density: number[];
  runs: QuadratureRun[];
  /** The smoothing Gaussian's standard deviation in eigenvalue units (the relative sigma × span). */
  sigma: number;
}

export const DENSITY_DEFAULTS = { runs: 3, steps: 100, sigma: 0.005, points: 1000, seed: 0 } as const;

/** Half-width of the grid beyond the outermost nodes, in units of σ (the Gaussian's mass beyond is < 1e-6). */
const PAD_SIGMAS = 5;

/** The smallest relative sigma a grid of `points` resolves (one grid spacing; see spectralDensity). */
export function minimumRelativeSigma(points: number): number {
  return 1 / (points - 1 - 2 * PAD_SIGMAS);
}

/** One quadrature run from the unit start vector `start`, stopping early when the Krylov space is invariant. */
function quadratureRun(
  op: HessianOperator,
  start: Float32Array,
  steps: number,
  onStep: (step: number) => void,
): QuadratureRun {
  const basis = [start];
  const alphas: number[] = [];
  const betas: number[] = [];
  let largestProduct = 0;
  for (;;) {
    const step = lanczosStep(op, basis);
    alphas.push(step.alpha);
    largestProduct = Math.max(largestProduct, step.productNorm);
    onStep(alphas.length);
    // At a breakdown the quadrature is already exact for this start vector: no restart here, since a
    // new direction would change the measure being integrated.
    if (alphas.length >= steps || isBreakdown(step.beta, largestProduct)) break;
    betas.push(step.beta);
    basis.push(normalized(step.remainder, step.beta));
  }
  const eig = tridiagonalEigen(alphas, betas);
  return { nodes: eig.values, weights: eig.vectors[0]!.map((s) => s * s) };
}

/**
 * Stochastic Lanczos quadrature density of `op` (defaults: 3 runs of 100 steps, sigma 0.005 of the
 * node span, 1000 points, seed 0). The smoothed density is the mean over runs of Σ w_i·N(x; θ_i, σ²),
 * normalized to trapezoid integral 1 on the grid. PyHessian instead uses a variance of
 * 1e-5·max(1, span) on 10,000 bins, whose width in units of the span depends on the span; a width
 * relative to the span looks the same for every model. Requiring σ ≥ one grid spacing keeps the
 * trapezoid rule on each Gaussian accurate to about 1e-8, so the normalization only removes the
 * < 1e-6 of mass beyond the padding.
 */
export function spectralDensity(op: HessianOperator, options: DensityOptions = {}): SpectralDensity {
  const { runs, steps, sigma, points, seed } = { ...DENSITY_DEFAULTS, ...options };
  const n = op.size;
  assertArgument(
    Number.isInteger(runs) && runs >= 1,
    'spectralDensity',
    'runs',
    () => `${runs} is not a positive integer`,
  );
  assertArgument(
    Number.isInteger(steps) && steps >= 1,
    'spectralDensity',
    'steps',
    () => `${steps} is not a positive integer`,
  );
  assertArgument(
    Number.isInteger(points) && points >= 3,
    'spectralDensity',
    'points',
    () => `${points} is not an integer of at least 3`,
  );
  assertArgument(
    sigma > 0 && sigma >= minimumRelativeSigma(points),
    'spectralDensity',
    'sigma',
    () =>
      `${sigma} (relative to the eigenvalue span) is below one grid spacing of ${points} points; ` +
      `use more points or a larger sigma`,
  );
  const uniform = seededUniform(seed);
  const perRun = Math.min(steps, n);
  const quadratures: QuadratureRun[] = [];
  for (let r = 0; r < runs; r++) {
    const start = rademacherVector(n, uniform);
    scale(1 / Math.sqrt(n), start);
    const onStep = (step: number): void => options.onProgress?.({ run: r + 1, runs, step, steps: perRun });
    quadratures.push(quadratureRun(op, start, perRun, onStep));
  }
  return { ...smoothedDensity(quadratures, sigma, points), runs: quadratures };
}

/** The Gaussian-smoothed mean of the runs' quadrature measures on an even grid (trapezoid integral 1). */
export function smoothedDensity(
  runs: readonly QuadratureRun[],
  relativeSigma: number,
  points: number,
): { grid: number[]; density: number[]; sigma: number } {
  const nodes = runs.flatMap((run) => run.nodes);
  const lo = Math.min(...nodes);
  const hi = Math.max(...nodes);
  // A single distinct node (H = cI) has no span; its magnitude (or 1 at 0) sets the scale instead.
  const span = hi - lo > 0 ? hi - lo : Math.max(Math.abs(lo), 1);
  const sigma = relativeSigma * span;
  const first = lo - PAD_SIGMAS * sigma;
  const spacing = (hi + PAD_SIGMAS * sigma - first) / (points - 1);
  const grid = Array.from({ length: points }, (_, g) => first + g * spacing);
  const norming = 1 / (runs.length * sigma * Math.sqrt(2 * Math.PI));
  const density = grid.map((x) => {
    let sum = 0;
    for (const run of runs) {
      run.nodes.forEach((node, i) => {
        sum += run.weights[i]! * Math.exp(-((x - node) ** 2) / (2 * sigma * sigma));
      });
    }
    return sum * norming;
  });
  let integral = 0;
  for (let g = 1; g < points; g++) integral += ((density[g - 1]! + density[g]!) * spacing) / 2;
  return { grid, density: density.map((d) => d / integral), sigma };
}

/**
 * Mean over runs of Σ w_i·θ_i^k: an unbiased estimate of (1/n)·tr(H^k). Each run's sum equals qᵀH^k q
 * for its start vector q exactly when k ≤ 2m − 1 (m its number of nodes); the only error is the probes'.
 */
export function quadratureMoment(runs: readonly QuadratureRun[], k: number): number {
  assertArgument(Number.isInteger(k) && k >= 0, 'quadratureMoment', 'k', () => `${k} is not a non-negative integer`);
  assertArgument(runs.length >= 1, 'quadratureMoment', 'runs', () => 'is empty');
  const perRun = runs.map((run) => run.nodes.reduce((sum, node, i) => sum + run.weights[i]! * node ** k, 0));
  return perRun.reduce((sum, m) => sum + m, 0) / runs.length;
}
