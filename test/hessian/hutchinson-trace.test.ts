import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WeightscapeError } from '../../src/errors.ts';
import { hutchinsonTrace } from '../../src/hessian/hutchinson-trace.ts';
import { denseOperator, diagonalOperator, randomSymmetric } from './dense-operator.ts';

test('random symmetric 50×50: the estimate lies within 3 standard errors of the exact trace', () => {
  const rows = randomSymmetric(50, 42);
  const trace = rows.reduce((s, row, i) => s + row[i]!, 0);
  const result = hutchinsonTrace(denseOperator(rows), { probes: 100, seed: 9 });
  assert.equal(result.probes, 100);
  assert.ok(Math.abs(result.estimate - trace) <= 3 * result.standardError, `${JSON.stringify(result)} vs ${trace}`);
  // Rademacher variance of zᵀAz is 2·Σ_{i≠j} A_ij²; the reported error must be its square root over
  // √probes, to sampling accuracy (the sample std of 100 draws is within ±25% with high probability).
  let offDiagonal = 0;
  rows.forEach((row, i) => row.forEach((x, j) => (offDiagonal += i === j ? 0 : x * x)));
  const expectedError = Math.sqrt((2 * offDiagonal) / 100);
  assert.ok(Math.abs(result.standardError / expectedError - 1) < 0.25, `${result.standardError} vs ${expectedError}`);
  // Reproducible per seed, different across seeds.
  assert.deepEqual(hutchinsonTrace(denseOperator(rows), { probes: 100, seed: 9 }), result);
  assert.notEqual(hutchinsonTrace(denseOperator(rows), { probes: 100, seed: 10 }).estimate, result.estimate);
});

test('a diagonal operator: Rademacher probes give the exact trace with standard error 0', () => {
  const entries = [3.5, -2, 0.25, 7, -1.125, 0];
  const result = hutchinsonTrace(diagonalOperator(entries), { probes: 7, seed: 1 });
  assert.deepEqual(result, { estimate: 7.625, standardError: 0, probes: 7 });
});

test('fewer than 2 probes and a NaN product are refused', () => {
  const op = diagonalOperator([1, 2]);
  assert.throws(
    () => hutchinsonTrace(op, { probes: 1 }),
    (e: unknown) => e instanceof WeightscapeError && e.code === 'bad-argument' && /probes 1/.test(e.message),
  );
  assert.throws(
    () => hutchinsonTrace({ ...op, apply: (v) => v.map(() => NaN) }, { probes: 2 }),
    (e: unknown) => e instanceof WeightscapeError && e.code === 'numeric',
  );
});
