/**
 * Flatness read off a 1D curve L(α): the increase at the largest radius on both sides
 * (L(±ρ) − L(0), ρ = max |α| of the grid), and the curvature 2a of a least-squares quadratic
 * a·α² + b·α + c through the points nearest 0 (the inner quarter of the range, at least 5 points).
 */
import { WeightscapeError } from '../errors.ts';

export interface Flatness1D {
  /** L(0) (the grid must contain α = 0, or the nearest point is used). */
  atZero: number;
  rho: number;
  increasePlus: number;
  increaseMinus: number;
  increaseMax: number;
  /** Second derivative of the fitted quadratic, loss per α². */
  curvature: number;
  fitPoints: number;
}

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
  const det = (a: number[][]) => a[0]![0]! * (a[1]![1]! * a[2]![2]! - a[1]![2]! * a[2]![1]!) - a[0]![1]! * (a[1]![0]! * a[2]![2]! - a[1]![2]! * a[2]![0]!) + a[0]![2]! * (a[1]![0]! * a[2]![1]! - a[1]![1]! * a[2]![0]!);
  const d = det(m);
  if (Math.abs(d) < 1e-300) throw new WeightscapeError('numeric', 'quadratic fit: the points do not determine a parabola');
  return det([[r[0]!, m[0]![1]!, m[0]![2]!], [r[1]!, m[1]![1]!, m[1]![2]!], [r[2]!, m[2]![1]!, m[2]![2]!]]) / d;
}

export function flatness1d(alphas: number[], losses: number[]): Flatness1D {
  const byDistance = alphas.map((a, i) => ({ a, l: losses[i]! })).sort((p, q) => Math.abs(p.a) - Math.abs(q.a));
  const atZero = byDistance[0]!.l;
  const maxAlpha = Math.max(...alphas.map(Math.abs));
  const plus = alphas.indexOf(Math.max(...alphas));
  const minus = alphas.indexOf(Math.min(...alphas));
  const inner = byDistance.filter((p) => Math.abs(p.a) <= maxAlpha / 4);
  const fit = inner.length >= 5 ? inner : byDistance.slice(0, Math.min(5, byDistance.length));
  const curvature = fit.length >= 3 ? 2 * quadraticCoefficient(fit.map((p) => p.a), fit.map((p) => p.l)) : NaN;
  return {
    atZero, rho: maxAlpha,
    increasePlus: losses[plus]! - atZero,
    increaseMinus: losses[minus]! - atZero,
    increaseMax: Math.max(losses[plus]! - atZero, losses[minus]! - atZero),
    curvature, fitPoints: fit.length,
  };
}
