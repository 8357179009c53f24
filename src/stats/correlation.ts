/**
 * Correlation coefficients of paired samples: Pearson's r, Spearman's ρ (Pearson on average
 * ranks, so ties share their mean rank), and Kendall's τ-b (tie-corrected).
 * NaN when a sample is constant (the coefficient is undefined).
 */
import { WeightscapeError } from '../errors.ts';

export type Coefficient = 'pearson' | 'spearman' | 'kendall';

function checkPairs(x: readonly number[], y: readonly number[]): void {
  if (x.length !== y.length)
    throw new WeightscapeError('bad-argument', `correlation: ${x.length} x values but ${y.length} y values`);
  if (x.length < 2) throw new WeightscapeError('bad-argument', `correlation: needs at least 2 pairs (got ${x.length})`);
  if (![...x, ...y].every(Number.isFinite))
    throw new WeightscapeError('bad-argument', 'correlation: values must be finite numbers');
}

export function pearson(x: readonly number[], y: readonly number[]): number {
  checkPairs(x, y);
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? NaN : sxy / Math.sqrt(sxx * syy);
}

/** 1-based ranks; tied values get the mean of the ranks they span. */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(values.length);
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]![0] === order[start]![0]) end++;
    const rank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) ranks[order[k]![1]] = rank;
    start = end + 1;
  }
  return ranks;
}

export function spearman(x: readonly number[], y: readonly number[]): number {
  checkPairs(x, y);
  return pearson(averageRanks(x), averageRanks(y));
}

/** Kendall's τ-b = (C − D)/√((n₀ − n₁)(n₀ − n₂)), n₁ and n₂ the pairs tied in x and in y. */
export function kendall(x: readonly number[], y: readonly number[]): number {
  checkPairs(x, y);
  let concordant = 0;
  let discordant = 0;
  let tiedX = 0;
  let tiedY = 0;
  const n = x.length;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = Math.sign(x[i]! - x[j]!);
      const dy = Math.sign(y[i]! - y[j]!);
      if (dx === 0) tiedX++;
      if (dy === 0) tiedY++;
      if (dx !== 0 && dy !== 0) {
        if (dx === dy) concordant++;
        else discordant++;
      }
    }
  }
  const n0 = (n * (n - 1)) / 2;
  const denominator = Math.sqrt((n0 - tiedX) * (n0 - tiedY));
  return denominator === 0 ? NaN : (concordant - discordant) / denominator;
}

export const COEFFICIENTS: Record<Coefficient, (x: readonly number[], y: readonly number[]) => number> = {
  pearson,
  spearman,
  kendall,
};
