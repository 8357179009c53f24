/**
 * Explicit symmetric matrices as Hessian operators for the spectral tests: a dense float64 matvec
 * whose product is rounded to float32 once, as an exact Hessian-vector product would be.
 */
import { type HessianOperator, type ParameterBlock } from '../../src/hessian/hessian-operator.ts';
import { seededUniform } from '../../src/random.ts';

/** Rows of a symmetric n×n matrix as an operator, with optional parameter blocks. */
export function denseOperator(rows: readonly (readonly number[])[], blocks?: ParameterBlock[]): HessianOperator {
  const n = rows.length;
  return {
    size: n,
    blocks: blocks ?? [{ name: 'all', offset: 0, length: n }],
    apply(v: Float32Array): Float32Array {
      const out = new Float32Array(n);
      rows.forEach((row, i) => {
        let sum = 0;
        for (let j = 0; j < n; j++) sum += row[j]! * v[j]!;
        out[i] = sum;
      });
      return out;
    },
  };
}

/** A diagonal operator, applied entry by entry (cheap for large n). */
export function diagonalOperator(entries: readonly number[]): HessianOperator {
  const n = entries.length;
  return {
    size: n,
    blocks: [{ name: 'all', offset: 0, length: n }],
    apply: (v) => Float32Array.from(v, (x, i) => entries[i]! * x),
  };
}

/** The n×n second-difference matrix tridiag(−1, 2, −1), as a matrix-free operator. */
export function laplacianOperator(n: number): HessianOperator {
  return {
    size: n,
    blocks: [{ name: 'all', offset: 0, length: n }],
    apply: (v) => Float32Array.from(v, (x, i) => 2 * x - (i > 0 ? v[i - 1]! : 0) - (i < n - 1 ? v[i + 1]! : 0)),
  };
}

/** Uniform entries in [−1, 1) for a symmetric matrix, from a seeded stream. */
export function randomSymmetric(n: number, seed: number): number[][] {
  const uniform = seededUniform(seed);
  const rows = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const value = 2 * uniform() - 1;
      rows[i]![j] = value;
      rows[j]![i] = value;
    }
  }
  return rows;
}

/** Q·diag(values)·Qᵀ for a random orthogonal Q (Gram–Schmidt of a seeded uniform matrix). */
export function rotatedDiagonal(values: readonly number[], seed: number): number[][] {
  const n = values.length;
  const uniform = seededUniform(seed);
  const q: number[][] = [];
  while (q.length < n) {
    const v = Array.from({ length: n }, () => 2 * uniform() - 1);
    for (const u of q) {
      const c = u.reduce((s, x, i) => s + x * v[i]!, 0);
      u.forEach((x, i) => (v[i] = v[i]! - c * x));
    }
    const length = Math.hypot(...v);
    q.push(v.map((x) => x / length));
  }
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => q.reduce((s, u, t) => s + u[i]! * values[t]! * u[j]!, 0)),
  );
}
