/**
 * Uncertainty of a correlation coefficient: a percentile bootstrap interval (pairs resampled with
 * replacement, seeded) and a two-sided permutation p-value, exact (all n! orderings of y) for
 * n ≤ 8 and Monte Carlo otherwise, counted as (extreme + 1)/(permutations + 1).
 */
import { seededUniform, shuffled } from '../random.ts';

export interface Interval {
  low: number;
  high: number;
  level: number;
  resamples: number;
  /** Resamples where the coefficient was undefined (a constant resampled x or y), left out. */
  undefinedResamples: number;
}

export function bootstrapInterval(
  x: readonly number[],
  y: readonly number[],
  statistic: (x: readonly number[], y: readonly number[]) => number,
  { resamples = 2000, level = 0.95, seed = 0 } = {},
): Interval {
  const uniform = seededUniform(seed);
  const values: number[] = [];
  let undefinedResamples = 0;
  const n = x.length;
  for (let b = 0; b < resamples; b++) {
    const idx = Array.from({ length: n }, () => Math.floor(uniform() * n));
    const value = statistic(
      idx.map((i) => x[i]!),
      idx.map((i) => y[i]!),
    );
    if (Number.isNaN(value)) undefinedResamples++;
    else values.push(value);
  }
  values.sort((a, b) => a - b);
  const quantile = (q: number) => {
    if (values.length === 0) return NaN;
    const position = q * (values.length - 1);
    const lower = Math.floor(position);
    return values[lower]! + (values[Math.min(lower + 1, values.length - 1)]! - values[lower]!) * (position - lower);
  };
  return { low: quantile((1 - level) / 2), high: quantile(1 - (1 - level) / 2), level, resamples, undefinedResamples };
}

function* permutations(items: number[]): Generator<number[]> {
  if (items.length <= 1) {
    yield items.slice();
    return;
  }
  for (let i = 0; i < items.length; i++) {
    const rest = [...items.slice(0, i), ...items.slice(i + 1)];
    for (const tail of permutations(rest)) yield [items[i]!, ...tail];
  }
}

export interface PermutationTest {
  pValue: number;
  exact: boolean;
  permutations: number;
}

/** Two-sided: the share of orderings of y whose |coefficient| is at least the observed one. */
export function permutationTest(
  x: readonly number[],
  y: readonly number[],
  statistic: (x: readonly number[], y: readonly number[]) => number,
  { resamples = 10_000, seed = 0 } = {},
): PermutationTest {
  const observed = Math.abs(statistic(x, y));
  const tolerance = 1e-12 * Math.max(1, observed);
  if (Number.isNaN(observed)) return { pValue: NaN, exact: true, permutations: 0 };
  if (x.length <= 8) {
    let extreme = 0;
    let count = 0;
    for (const order of permutations(y.slice())) {
      count++;
      if (Math.abs(statistic(x, order)) >= observed - tolerance) extreme++;
    }
    return { pValue: extreme / count, exact: true, permutations: count };
  }
  const uniform = seededUniform(seed + 1);
  let extreme = 0;
  for (let b = 0; b < resamples; b++) {
    if (Math.abs(statistic(x, shuffled(y, uniform))) >= observed - tolerance) extreme++;
  }
  return { pValue: (extreme + 1) / (resamples + 1), exact: false, permutations: resamples };
}
