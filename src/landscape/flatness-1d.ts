/**
 * Flatness read off a 1D curve L(α): the increase at the largest radius on both sides
 * (L(±ρ) − L(0), ρ = max |α| of the grid), and the curvature 2a of a least-squares quadratic
 * a·α² + b·α + c through the points nearest 0 (the inner quarter of the range, at least 5 points).
 * Defined only on grids holding α = 0 exactly, points on both sides of it and at least 3 points
 * (see flatnessUndefinedReason): anything else would read L(0) or an increase off another point.
 */
import { WeightscapeError } from '../errors.ts';

import type { Flatness1D } from '../results/landscape-schema.ts';

export type { Flatness1D };

/** Least-squares fit of y ≈ a x² + b x + c; returns a. */
export function quadraticCoefficient(xs: number[], ys: number[]): number {
  // Normal equations for [x², x, 1].
  const s = (f: (x: number, y: number) => number) => xs.reduce((acc, x, i) => acc + f(x, ys[i]!), 0);
  const m = [
    [s((x) => x ** 4), s((x) => x ** 3), s((x) => x ** 2)],
    [s((x) => x ** 3), s((x) => x ** 2), s((x) => x)],
    [s((x) => x ** 2), s((x) => x), xs.length],
  ];
  const r = [s((x, y) => x * x * y), s((x, y) => x * y), s((_, y) => y)];
  const det = (a: number[][]) =>
    a[0]![0]! * (a[1]![1]! * a[2]![2]! - a[1]![2]! * a[2]![1]!) -
    a[0]![1]! * (a[1]![0]! * a[2]![2]! - a[1]![2]! * a[2]![0]!) +
    a[0]![2]! * (a[1]![0]! * a[2]![1]! - a[1]![1]! * a[2]![0]!);
  const d = det(m);
  if (Math.abs(d) < 1e-300)
    throw new WeightscapeError('numeric', 'quadratic fit: the points do not determine a parabola');
  return (
    det([
      [r[0]!, m[0]![1]!, m[0]![2]!],
      [r[1]!, m[1]![1]!, m[1]![2]!],
      [r[2]!, m[2]![1]!, m[2]![2]!],
    ]) / d
  );
}

/** Why 1D flatness is undefined on this grid, or null when it is defined. */
export function flatnessUndefinedReason(alphas: number[]): string | null {
  const range =
    alphas.length === 0
      ? 'an empty grid'
      : `α from ${Math.min(...alphas)} to ${Math.max(...alphas)}, ${alphas.length} point${alphas.length === 1 ? '' : 's'}`;
  if (alphas.length < 3)
    return `flatness not computed: it needs at least 3 grid points for the curvature fit (${range})`;
  if (new Set(alphas).size !== alphas.length) return `flatness not computed: the grid repeats points (${range})`;
  if (!alphas.includes(0))
    return `flatness not computed: the grid does not contain α = 0, so there is no loss at θ to compare with (${range})`;
  if (!(Math.min(...alphas) < 0 && Math.max(...alphas) > 0))
    return `flatness not computed: the increase needs points on both sides of α = 0 (${range})`;
  return null;
}

/** Flatness of the curve `losses` over `alphas`; the grid must pass flatnessUndefinedReason. */
export function flatness1d(alphas: number[], losses: number[]): Flatness1D {
  const reason = flatnessUndefinedReason(alphas);
  if (reason !== null) throw new WeightscapeError('bad-argument', reason);
  const byDistance = alphas.map((a, i) => ({ a, l: losses[i]! })).sort((p, q) => Math.abs(p.a) - Math.abs(q.a));
  const atZero = losses[alphas.indexOf(0)]!;
  const maxAlpha = Math.max(...alphas.map(Math.abs));
  const plus = alphas.indexOf(Math.max(...alphas));
  const minus = alphas.indexOf(Math.min(...alphas));
  const inner = byDistance.filter((p) => Math.abs(p.a) <= maxAlpha / 4);
  // At least 3 distinct points (the grid has ≥ 3), so the parabola is determined.
  const fit = inner.length >= 5 ? inner : byDistance.slice(0, Math.min(5, byDistance.length));
  const curvature =
    2 *
    quadraticCoefficient(
      fit.map((p) => p.a),
      fit.map((p) => p.l),
    );
  return {
    atZero,
    rho: maxAlpha,
    increasePlus: losses[plus]! - atZero,
    increaseMinus: losses[minus]! - atZero,
    increaseMax: Math.max(losses[plus]! - atZero, losses[minus]! - atZero),
    curvature,
    fitPoints: fit.length,
  };
}
