import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WeightscapeError } from '../../src/errors.ts';
import { quadratureMoment, spectralDensity } from '../../src/hessian/spectral-density.ts';
import { seededUniform } from '../../src/random.ts';
import { denseOperator, diagonalOperator, rotatedDiagonal } from './dense-operator.ts';

/** (1/n)·Σ λ^k */
function exactMoment(values: readonly number[], k: number): number {
  return values.reduce((s, v) => s + v ** k, 0) / values.length;
}

/** Trapezoid integral of the density between a and b. */
function mass(grid: number[], density: number[], a = -Infinity, b = Infinity): number {
  let sum = 0;
  for (let g = 1; g < grid.length; g++) {
    if (grid[g - 1]! >= a && grid[g]! <= b) sum += ((density[g - 1]! + density[g]!) * (grid[g]! - grid[g - 1]!)) / 2;
  }
  return sum;
}

/** 400 eigenvalues in three clusters: 80 around −1, 120 around 2, 200 around 5 (each ±0.05). */
function clusters(): number[] {
  const uniform = seededUniform(12);
  const around = (center: number, count: number) =>
    Array.from({ length: count }, () => center + 0.1 * (uniform() - 0.5));
  return [...around(-1, 80), ...around(2, 120), ...around(5, 200)];
}

test('diagonal clusters: moments k = 0–3 match (1/n)Σλ^k to 1e-5, the density integrates to 1 and peaks at each cluster', () => {
  // For a diagonal H a Rademacher z has zᵀH^k z = Σ λ^k exactly, and m Lanczos steps integrate
  // polynomials up to degree 2m − 1 exactly, so only float32 rounding is left (≈1e-7).
  const values = clusters();
  const result = spectralDensity(diagonalOperator(values), { runs: 4, steps: 30, sigma: 0.01, points: 1000, seed: 3 });
  assert.equal(result.runs.length, 4);
  for (const run of result.runs) {
    assert.equal(run.nodes.length, 30);
    assert.ok(Math.abs(run.weights.reduce((s, w) => s + w, 0) - 1) < 1e-12);
  }
  for (let k = 0; k <= 3; k++) {
    const exact = exactMoment(values, k);
    const estimate = quadratureMoment(result.runs, k);
    assert.ok(Math.abs(estimate - exact) <= 1e-5 * Math.abs(exact), `k ${k}: ${estimate} vs ${exact}`);
  }
  const { grid, density } = result;
  assert.equal(grid.length, 1000);
  assert.ok(Math.abs(mass(grid, density) - 1) < 1e-12);
  // σ = 0.01 × span (≈ 6.1) ≈ 0.061; the grid reaches 5σ beyond the outermost nodes.
  assert.ok(Math.abs(result.sigma / (0.01 * (Math.max(...values) - Math.min(...values))) - 1) < 1e-3);
  assert.ok(grid[0]! < Math.min(...values) - 4 * result.sigma && grid[999]! > Math.max(...values) + 4 * result.sigma);
  // Mass near each cluster is its share of the eigenvalues: 0.2, 0.3, 0.5 (Rademacher on a diagonal: exact).
  [
    [-1, 0.2],
    [2, 0.3],
    [5, 0.5],
  ].forEach(([center, share]) => {
    assert.ok(Math.abs(mass(grid, density, center! - 1, center! + 1) - share!) < 1e-3, `cluster ${center}`);
    // The highest point within ±1 is within 0.1 of the cluster's center.
    let best = -1;
    grid.forEach((x, g) => {
      if (Math.abs(x - center!) < 1 && (best < 0 || density[g]! > density[best]!)) best = g;
    });
    assert.ok(Math.abs(grid[best]! - center!) < 0.1, `peak at ${grid[best]} for ${center}`);
  });
  // Between clusters the density is essentially zero.
  const gap = grid.findIndex((x) => x > 3.5);
  assert.ok(density[gap]! < 1e-6, `density ${density[gap]} at 3.5`);
});

test('exactly repeated eigenvalues: each run stops at 3 steps with nodes −1, 2, 5 and weights 0.2, 0.3, 0.5', () => {
  const values = [
    ...new Array<number>(20).fill(-1),
    ...new Array<number>(30).fill(2),
    ...new Array<number>(50).fill(5),
  ];
  const result = spectralDensity(diagonalOperator(values), { runs: 2, steps: 20, seed: 1 });
  for (const run of result.runs) {
    assert.equal(run.nodes.length, 3);
    [-1, 2, 5].forEach((node, i) => assert.ok(Math.abs(run.nodes[i]! - node) < 1e-5, `node ${run.nodes[i]}`));
    [0.2, 0.3, 0.5].forEach((w, i) => assert.ok(Math.abs(run.weights[i]! - w) < 1e-5, `weight ${run.weights[i]}`));
  }
});

test('dense rotated spectrum: moments k = 1, 2 within 4 standard errors over 30 runs (a stochastic estimate)', () => {
  // Off the eigenbasis Rademacher probes are random: each run's moment is (1/n)·zᵀH^k z, unbiased,
  // with a spread the runs themselves measure.
  const values = Array.from({ length: 60 }, (_, i) => -2 + (10 * i) / 59);
  const op = denseOperator(rotatedDiagonal(values, 5));
  const result = spectralDensity(op, { runs: 30, steps: 20, seed: 8 });
  assert.ok(Math.abs(quadratureMoment(result.runs, 0) - 1) < 1e-12);
  for (const k of [1, 2]) {
    const perRun = result.runs.map((run) => quadratureMoment([run], k));
    const mean = perRun.reduce((s, x) => s + x, 0) / perRun.length;
    const se = Math.sqrt(perRun.reduce((s, x) => s + (x - mean) ** 2, 0) / (perRun.length - 1) / perRun.length);
    const exact = exactMoment(values, k);
    assert.ok(se > 0 && Math.abs(mean - exact) <= 4 * se, `k ${k}: ${mean} ± ${se} vs ${exact}`);
    // Within a few percent, as that spread allows.
    assert.ok(Math.abs(mean - exact) <= 0.05 * Math.abs(exact), `k ${k}: ${mean} vs ${exact}`);
  }
});

test('a sigma finer than the grid spacing and bad counts are refused before any product', () => {
  let applications = 0;
  const op = { ...diagonalOperator([1, 2, 3]), apply: (v: Float32Array) => (applications++, v.slice()) };
  const isBad = (pattern: RegExp) => (e: unknown) =>
    e instanceof WeightscapeError && e.code === 'bad-argument' && pattern.test(e.message);
  assert.throws(() => spectralDensity(op, { sigma: 1e-4, points: 1000 }), isBad(/sigma 0.0001/));
  assert.throws(() => spectralDensity(op, { runs: 0 }), isBad(/runs 0/));
  assert.throws(() => quadratureMoment([], 1), isBad(/runs/));
  assert.equal(applications, 0);
});
