/**
 * Eigenvalues and eigenvectors of a small symmetric tridiagonal matrix (the Lanczos matrix T), by
 * the implicit QL algorithm with Wilkinson-type shifts: EISPACK's tql2 as JAMA writes it, starting
 * from the identity because T is already tridiagonal. Float64 throughout; m is at most a few hundred.
 */
import { WeightscapeError } from '../errors.ts';

export interface TridiagonalEigen {
  /** Eigenvalues in ascending order. */
  values: number[];
  /**
   * vectors[j][i]: component j of the unit eigenvector of values[i] (columns are eigenvectors); only
   * the requested rows are filled, the others are empty arrays.
   */
  vectors: number[][];
}

/**
 * Eigen-decomposition of the symmetric tridiagonal matrix with `diagonal` (length m) and
 * `offDiagonal` (length m − 1, entry i couples rows i and i + 1). `rows` limits the eigenvector
 * components computed (each row of the accumulated rotations evolves on its own), which makes a call
 * O(m²) instead of O(m³): Lanczos needs only the last row at each step, quadrature only the first.
 */
export function tridiagonalEigen(
  diagonal: readonly number[],
  offDiagonal: readonly number[],
  rows?: readonly number[],
): TridiagonalEigen {
  const n = diagonal.length;
  if (offDiagonal.length !== Math.max(n - 1, 0)) {
    throw new WeightscapeError(
      'internal',
      `tridiagonalEigen: ${offDiagonal.length} off-diagonal entries for size ${n}`,
    );
  }
  if (![...diagonal, ...offDiagonal].every(Number.isFinite)) {
    throw new WeightscapeError('numeric', 'tridiagonalEigen: the Lanczos matrix has a non-finite entry');
  }
  if (rows !== undefined && !rows.every((j) => Number.isInteger(j) && j >= 0 && j < n)) {
    throw new WeightscapeError('internal', `tridiagonalEigen: rows ${rows.join(', ')} outside size ${n}`);
  }
  const d = diagonal.slice();
  // e[i] couples i and i + 1; e[n − 1] = 0 is the sentinel tql2 expects.
  const e = [...offDiagonal, 0];
  const v = Array.from({ length: n }, (_, j) => Array.from({ length: n }, (_, i): number => (i === j ? 1 : 0)));
  const kept = (rows ?? v.map((_, j) => j)).map((j) => v[j]!);
  const eps = 2 ** -52;
  let f = 0;
  let tst1 = 0;
  for (let l = 0; l < n; l++) {
    // Find a negligible off-diagonal element: the matrix splits there.
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]!) > eps * tst1) m++;
    if (m > l) {
      let iterations = 0;
      do {
        if (++iterations > 60) throw new WeightscapeError('numeric', 'tridiagonalEigen: QL iteration did not converge');
        // Implicit shift from the leading 2×2 block.
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i] = d[i]! - h;
        f += h;
        // The QL sweep by plane rotations, accumulated into the eigenvectors.
        p = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          for (const row of kept) {
            h = row[i + 1]!;
            row[i + 1] = s * row[i]! + c * h;
            row[i] = c * row[i]! - s * h;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > eps * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
  // Sort ascending, permuting the eigenvector columns with the values.
  const order = d.map((_, i) => i).sort((a, b) => d[a]! - d[b]!);
  return {
    values: order.map((i) => d[i]!),
    vectors: v.map((row, j) => (rows === undefined || rows.includes(j) ? order.map((i) => row[i]!) : [])),
  };
}
