import { test } from 'node:test';
import assert from 'node:assert/strict';
import { averageRanks, kendall, pearson, spearman } from '../../src/stats/correlation.ts';
import { bootstrapInterval, permutationTest } from '../../src/stats/inference.ts';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) < tol, `${a} vs ${b}`);

test('Pearson against hand computation', () => {
  // x = 1..5, y = 2,4,5,4,5: mean y 4; Σdx·dy = 6; Σdx² = 10; Σdy² = 6 → r = 6/√60.
  close(pearson([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]), 6 / Math.sqrt(60));
  close(pearson([1, 2, 3], [3, 2, 1]), -1);
  assert.ok(Number.isNaN(pearson([1, 1, 1], [1, 2, 3])));
});

test('Spearman with ties uses average ranks', () => {
  assert.deepEqual(averageRanks([10, 20, 20, 30]), [1, 2.5, 2.5, 4]);
  // ranks x: 1,2.5,2.5,4; y: 1,2,3,4 → Pearson of ranks: Σdx·dy = 4.5, Σdx² = 4.5, Σdy² = 5.
  close(spearman([10, 20, 20, 30], [1, 2, 3, 4]), 4.5 / Math.sqrt(4.5 * 5));
  close(spearman([1, 2, 3, 4, 5], [1, 4, 9, 16, 25]), 1);
});

test('Kendall τ-b with ties in both samples', () => {
  // x = 1,2,2,3; y = 1,3,2,3. Pairs: (0,1)C (0,2)C (0,3)C (1,2) tie x (1,3) tie y (2,3)C.
  // C = 4, D = 0, n0 = 6, tied x 1, tied y 1 → τ-b = 4/√(5·5) = 0.8.
  close(kendall([1, 2, 2, 3], [1, 3, 2, 3]), 0.8);
  // No ties: x 1..4, y 2,1,4,3: C = 4, D = 2 → (4 − 2)/6.
  close(kendall([1, 2, 3, 4], [2, 1, 4, 3]), 2 / 6);
});

test('exact permutation p-values equal hand counts', () => {
  // n = 3, perfectly increasing: |r| = 1 only for the identity and the reversal: 2 of 6 orderings.
  const test3 = permutationTest([1, 2, 3], [1, 2, 3], pearson);
  assert.equal(test3.exact, true);
  assert.equal(test3.permutations, 6);
  close(test3.pValue, 2 / 6);
  // n = 4, Kendall with y = 2,1,4,3 (τ = 1/3): orderings with |τ| ≥ 1/3 are those with
  // at most 2 or at least 4 inversions: 1 + 3 + 5 (≤ 2) + 5 + 3 + 1 (≥ 4) = 18 of 24.
  const test4 = permutationTest([1, 2, 3, 4], [2, 1, 4, 3], kendall);
  close(test4.pValue, 18 / 24);
  // Larger n: Monte Carlo, (extreme + 1)/(B + 1), seeded.
  const x = Array.from({ length: 12 }, (_, i) => i);
  const mc = permutationTest(x, x.map((v) => v * 2), spearman, { resamples: 999, seed: 3 });
  assert.equal(mc.exact, false);
  close(mc.pValue, 1 / 1000);
  assert.deepEqual(permutationTest(x, x.map((v) => -v), spearman, { resamples: 999, seed: 3 }), mc);
});

test('bootstrap intervals contain the estimate, are seeded, and skip constant resamples', () => {
  const x = [1, 2, 3, 4, 5, 6, 7, 8];
  const y = [1.2, 1.9, 3.4, 3.8, 5.5, 5.9, 7.2, 8.1];
  const a = bootstrapInterval(x, y, pearson, { resamples: 500, seed: 1 });
  const b = bootstrapInterval(x, y, pearson, { resamples: 500, seed: 1 });
  assert.deepEqual(a, b);
  const r = pearson(x, y);
  assert.ok(a.low <= r && r <= a.high && a.high <= 1);
  const tiny = bootstrapInterval([1, 2], [2, 1], pearson, { resamples: 200, seed: 2 });
  assert.ok(tiny.undefinedResamples > 0, 'resamples of 2 points are often constant');
});

test('correlateResults pairs results by checkpoint and reports all three coefficients', async () => {
  const { correlateResults } = await import('../../src/stats/correlate-results.ts');
  const flat = (sha: string, v: number) => ({ path: `${sha}-flat.json`, json: { provenance: { checkpoint: { path: `${sha}.pt`, sha256: sha } }, adversarial: { averageIncrease: v } } });
  const gap = (sha: string, v: number) => ({ path: `${sha}-eval.json`, json: { provenance: { checkpoint: { path: `${sha}.pt`, sha256: sha } }, gap: { accuracy: v } } });
  const xs = [0.1, 0.4, 0.2, 0.8];
  const ys = [0.05, 0.12, 0.07, 0.2];
  const results = xs.flatMap((x, i) => [flat(`c${i}`, x), gap(`c${i}`, ys[i]!)]);
  const r = correlateResults(results, 'adversarial.averageIncrease', 'gap.accuracy', { resamples: 200 });
  assert.equal(r.points.length, 4);
  close(r.coefficients.spearman.value, 1);
  close(r.coefficients.kendall.value, 1);
  close(r.coefficients.pearson.value, pearson(xs, ys));
  close(r.coefficients.kendall.permutation.pValue, 2 / 24);
  assert.throws(() => correlateResults(results.slice(0, 4), 'adversarial.averageIncrease', 'gap.accuracy'), /at least 3 checkpoints/);
});
