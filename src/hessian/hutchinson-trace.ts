/**
 * The trace of a symmetric operator by Hutchinson's estimator with Rademacher probes (as PyHessian):
 * E[zᵀHz] = tr(H) for z with independent ±1 entries, whose variance 2·Σ_{i≠j} H_ij² is the smallest
 * of any probe distribution; the diagonal contributes no variance at all.
 */
import { assertArgument, WeightscapeError } from '../errors.ts';
import { seededUniform } from '../random.ts';
import { dot, type HessianOperator, rademacherVector } from './hessian-operator.ts';

export interface TraceOptions {
  /** Number of probes, at least 2 so that the standard error is defined (default 100). */
  probes?: number;
  /** Seed of the Rademacher probes (default 0). */
  seed?: number;
  onProgress?: (progress: { probe: number; probes: number; estimate: number }) => void;
}

export interface TraceEstimate {
  /** Mean of zᵀHz over the probes. */
  estimate: number;
  /** Sample standard deviation of zᵀHz (n − 1 denominator) over √probes. */
  standardError: number;
  probes: number;
}

export const TRACE_DEFAULTS = { probes: 100, seed: 0 } as const;

/** Hutchinson's trace estimate of `op` with its standard error (defaults: 100 probes, seed 0). */
export function hutchinsonTrace(op: HessianOperator, options: TraceOptions = {}): TraceEstimate {
  const { probes, seed } = { ...TRACE_DEFAULTS, ...options };
  assertArgument(
    Number.isInteger(probes) && probes >= 2,
    'hutchinsonTrace',
    'probes',
    () => `${probes} is not an integer of at least 2`,
  );
  const uniform = seededUniform(seed);
  const samples: number[] = [];
  for (let p = 0; p < probes; p++) {
    const z = rademacherVector(op.size, uniform);
    const sample = dot(z, op.apply(z));
    if (!Number.isFinite(sample)) {
      throw new WeightscapeError('numeric', 'hutchinsonTrace: the Hessian-vector product has a non-finite entry');
    }
    samples.push(sample);
    options.onProgress?.({ probe: p + 1, probes, estimate: mean(samples) });
  }
  const estimate = mean(samples);
  const variance = samples.reduce((sum, s) => sum + (s - estimate) ** 2, 0) / (probes - 1);
  return { estimate, standardError: Math.sqrt(variance / probes), probes };
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}
