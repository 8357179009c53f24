import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  axpy,
  blockOperator,
  dot,
  norm,
  rademacherVector,
  scale,
  seededGaussianStream,
} from '../../src/hessian/hessian-operator.ts';
import { hutchinsonTrace } from '../../src/hessian/hutchinson-trace.ts';
import { topEigenpairs } from '../../src/hessian/lanczos.ts';
import { WeightscapeError } from '../../src/errors.ts';
import { seededUniform } from '../../src/random.ts';
import { denseOperator, rotatedDiagonal } from './dense-operator.ts';

test('dot and norm accumulate in float64: a million float32 0.1s sum to 1e6·fl32(0.1) to 1e-9', () => {
  const tenth = Math.fround(0.1);
  const a = new Float32Array(1_000_000).fill(tenth);
  const ones = new Float32Array(1_000_000).fill(1);
  // A float32 running sum is 0.9% off here.
  assert.ok(Math.abs(dot(a, ones) / (1e6 * tenth) - 1) < 1e-9);
  assert.ok(Math.abs(norm(a) / (1000 * tenth) - 1) < 1e-9);
});

test('axpy and scale work in place', () => {
  const y = Float32Array.from([1, 2, 3]);
  axpy(2, Float32Array.from([1, -1, 0.5]), y);
  assert.deepEqual(Array.from(y), [3, 0, 4]);
  scale(-0.5, y);
  assert.deepEqual(Array.from(y), [-1.5, -0, -2]);
});

test('the seeded Gaussian stream repeats per seed and has mean 0 and variance 1 (within 4 standard errors)', () => {
  const count = 100_000;
  const a = seededGaussianStream(7);
  const b = seededGaussianStream(7);
  const samples = Array.from({ length: count }, () => a());
  assert.deepEqual(
    Array.from({ length: 5 }, () => b()),
    samples.slice(0, 5),
  );
  const mean = samples.reduce((s, x) => s + x, 0) / count;
  const variance = samples.reduce((s, x) => s + (x - mean) ** 2, 0) / (count - 1);
  assert.ok(Math.abs(mean) < 4 / Math.sqrt(count), `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 4 * Math.sqrt(2 / count), `variance ${variance}`);
  assert.notEqual(seededGaussianStream(8)(), samples[0]);
});

test('Rademacher vectors hold only ±1, about half each', () => {
  const v = rademacherVector(100_000, seededUniform(3));
  assert.ok(v.every((x) => x === 1 || x === -1));
  const positive = v.filter((x) => x === 1).length / v.length;
  assert.ok(Math.abs(positive - 0.5) < 4 * 0.5 * Math.sqrt(1 / v.length), `fraction +1 ${positive}`);
});

/** A 5×5 symmetric matrix with diagonal blocks A (3×3, eigenvalues 4, 1, −2) and B = diag(3, 1), coupled. */
function coupledBlocks(): number[][] {
  const a = rotatedDiagonal([4, 1, -2], 11);
  const rows = Array.from({ length: 5 }, () => new Array<number>(5).fill(0));
  a.forEach((row, i) => row.forEach((x, j) => (rows[i]![j] = x)));
  rows[3]![3] = 3;
  rows[4]![4] = 1;
  // Off-diagonal coupling that the block operator must ignore.
  const coupling = [
    [0.9, -0.4],
    [0.2, 0.7],
    [-1.1, 0.3],
  ];
  coupling.forEach((row, i) =>
    row.forEach((x, j) => {
      rows[i]![3 + j] = x;
      rows[3 + j]![i] = x;
    }),
  );
  return rows;
}

test('blockOperator gives each diagonal block: A has eigenvalues 4, 1, −2 and B = diag(3, 1) trace 4 exactly', () => {
  const blocks = [
    { name: 'a.weight', offset: 0, length: 3 },
    { name: 'b.bias', offset: 3, length: 2 },
  ];
  const op = denseOperator(coupledBlocks(), blocks);
  const a = blockOperator(op, blocks[0]!);
  assert.equal(a.size, 3);
  assert.deepEqual(a.blocks, [{ name: 'a.weight', offset: 0, length: 3 }]);
  const eigen = topEigenpairs(a, { k: 3 });
  [4, 1, -2].forEach((expected, i) => {
    assert.ok(Math.abs(eigen.values[i]!.value - expected) < 1e-5, `A eigenvalue ${eigen.values[i]!.value}`);
  });
  const b = blockOperator(op, blocks[1]!);
  const input = Float32Array.from([1, 1]);
  assert.deepEqual(Array.from(b.apply(input)), [3, 1]);
  assert.deepEqual(Array.from(input), [1, 1]);
  assert.deepEqual(hutchinsonTrace(b, { probes: 10 }), { estimate: 4, standardError: 0, probes: 10 });
  const traceA = hutchinsonTrace(a, { probes: 200, seed: 5 });
  assert.ok(Math.abs(traceA.estimate - 3) <= 3 * traceA.standardError, JSON.stringify(traceA));
  // The whole operator's trace (3 + 4 = 7) would be outside that bound: the coupling is really dropped.
  assert.ok(traceA.standardError > 0 && traceA.standardError < 0.5);
});

test('blockOperator refuses a block outside the operator', () => {
  const op = denseOperator(coupledBlocks());
  assert.throws(
    () => blockOperator(op, { name: 'x', offset: 4, length: 2 }),
    (e: unknown) => e instanceof WeightscapeError && e.code === 'bad-argument' && /block x/.test(e.message),
  );
});
