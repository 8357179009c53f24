import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tridiagonalEigen } from '../../src/hessian/tridiagonal-eigen.ts';

/** ‖T v − λ v‖ for column i of a full decomposition. */
function residual(diagonal: number[], off: number[], values: number[], vectors: number[][], i: number): number {
  const n = diagonal.length;
  let squared = 0;
  for (let j = 0; j < n; j++) {
    const tv =
      diagonal[j]! * vectors[j]![i]! +
      (j > 0 ? off[j - 1]! * vectors[j - 1]![i]! : 0) +
      (j < n - 1 ? off[j]! * vectors[j + 1]![i]! : 0);
    squared += (tv - values[i]! * vectors[j]![i]!) ** 2;
  }
  return Math.sqrt(squared);
}

test('tridiag(−1, 2, −1) of size 50: eigenvalues 2 − 2cos(jπ/51) ascending, orthonormal eigenvectors', () => {
  const n = 50;
  const diagonal = new Array<number>(n).fill(2);
  const off = new Array<number>(n - 1).fill(-1);
  const { values, vectors } = tridiagonalEigen(diagonal, off);
  values.forEach((value, j) => assert.ok(Math.abs(value - (2 - 2 * Math.cos(((j + 1) * Math.PI) / (n + 1)))) < 1e-12));
  for (let i = 0; i < n; i++) {
    assert.ok(residual(diagonal, off, values, vectors, i) < 1e-12, `residual of pair ${i}`);
    for (let k = i; k < n; k++) {
      const inner = vectors.reduce((s, row) => s + row[i]! * row[k]!, 0);
      assert.ok(Math.abs(inner - (i === k ? 1 : 0)) < 1e-12, `⟨v${i}, v${k}⟩ = ${inner}`);
    }
  }
});

test('rows limits the computed eigenvector components to exactly those of the full decomposition', () => {
  const diagonal = [4, -1, 3, 0.5, 2, 7];
  const off = [1, 0.3, -2, 0.7, 1.5];
  const full = tridiagonalEigen(diagonal, off);
  const partial = tridiagonalEigen(diagonal, off, [0, 5]);
  assert.deepEqual(partial.values, full.values);
  assert.deepEqual(partial.vectors[0], full.vectors[0]);
  assert.deepEqual(partial.vectors[5], full.vectors[5]);
  assert.deepEqual(partial.vectors[2], []);
});

test('a zero off-diagonal splits the matrix: [1] and [[3, 1], [1, 2]] give 1 and 2.5 ± √1.25', () => {
  const { values, vectors } = tridiagonalEigen([1, 3, 2], [0, 1]);
  const expected = [1, 2.5 - Math.sqrt(1.25), 2.5 + Math.sqrt(1.25)].sort((a, b) => a - b);
  values.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-14, `${v} vs ${expected[i]}`));
  // The eigenvector of 1 is e₀.
  const one = values.findIndex((v) => Math.abs(v - 1) < 1e-12);
  assert.ok(Math.abs(Math.abs(vectors[0]![one]!) - 1) < 1e-14);
  assert.deepEqual(tridiagonalEigen([-3], []), { values: [-3], vectors: [[1]] });
});
