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
  const mc = permutationTest(
    x,
    x.map((v) => v * 2),
    spearman,
    { resamples: 999, seed: 3 },
  );
  assert.equal(mc.exact, false);
  close(mc.pValue, 1 / 1000);
  assert.deepEqual(
    permutationTest(
      x,
      x.map((v) => -v),
      spearman,
      { resamples: 999, seed: 3 },
    ),
    mc,
  );
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
  const flat = (sha: string, v: number) => ({
    path: `${sha}-flat.json`,
    json: { provenance: { checkpoint: { path: `${sha}.pt`, sha256: sha } }, adversarial: { averageIncrease: v } },
  });
  const gap = (sha: string, v: number) => ({
    path: `${sha}-eval.json`,
    json: { provenance: { checkpoint: { path: `${sha}.pt`, sha256: sha } }, gap: { accuracy: v } },
  });
  const xs = [0.1, 0.4, 0.2, 0.8];
  const ys = [0.05, 0.12, 0.07, 0.2];
  const results = xs.flatMap((x, i) => [flat(`c${i}`, x), gap(`c${i}`, ys[i]!)]);
  const r = correlateResults(results, 'adversarial.averageIncrease', 'gap.accuracy', { resamples: 200 });
  assert.equal(r.points.length, 4);
  close(r.coefficients.spearman.value!, 1);
  close(r.coefficients.kendall.value!, 1);
  close(r.coefficients.pearson.value!, pearson(xs, ys));
  close(r.coefficients.kendall.permutation.pValue!, 2 / 24);
  assert.throws(
    () => correlateResults(results.slice(0, 4), 'adversarial.averageIncrease', 'gap.accuracy'),
    /at least 3 checkpoints/,
  );
});

const checkpointResult = (sha: string, fields: Record<string, unknown>) => ({
  path: `${sha}.json`,
  json: { provenance: { checkpoint: { path: `${sha}.pt`, sha256: sha } }, ...fields },
});

test('correlateResults: a constant measure gives null coefficients with a note, never NaN', async () => {
  const { correlateResults } = await import('../../src/stats/correlate-results.ts');
  const results = [0.1, 0.4, 0.2, 0.8].map((y, i) => checkpointResult(`c${i}`, { x: 1.5, y }));
  const r = correlateResults(results, 'x', 'y', { resamples: 200 });
  for (const c of Object.values(r.coefficients)) {
    assert.equal(c.value, null);
    assert.equal(c.interval.low, null);
    assert.equal(c.permutation.pValue, null);
  }
  assert.deepEqual(r.notes, ['x (x) is constant across the 4 checkpoints: correlation undefined']);
  assert.ok(!JSON.stringify(r).includes('NaN'));
  const { scatterSvg } = await import('../../src/report/scatter-plot.ts');
  const svg = scatterSvg(r, { width: 560, height: 360 });
  assert.ok(!svg.includes('NaN'), 'no NaN in the SVG');
  for (const name of ['Pearson r', 'Spearman ρ', 'Kendall τ'])
    assert.ok(svg.includes(`${name} = undefined, interval [undefined, undefined], permutation p = undefined`), name);
});

test('correlateResults: bounded resamples, and a note when the paired results were made with different settings', async () => {
  const { correlateResults } = await import('../../src/stats/correlate-results.ts');
  const flatness = (i: number, attack: string, subset: number) =>
    checkpointResult(`c${i}`, {
      schema: 'weightscape.flatness/1',
      settings: { attack, rho: 0.5, subset, directions: 5 },
      adversarial: { averageIncrease: [0.1, 0.4, 0.2][i] },
    });
  const evalOf = (i: number) => ({
    ...checkpointResult(`c${i}`, {
      schema: 'weightscape.eval/2',
      attack: 'pgd',
      data: { spec: 'mini', subset: 100 },
      gap: { accuracy: [0.05, 0.2, 0.1][i] },
    }),
    path: `c${i}-eval.json`,
  });
  const same = [0, 1, 2].flatMap((i) => [flatness(i, 'pgd:linf:eps=0.1', 100), evalOf(i)]);
  assert.deepEqual(correlateResults(same, 'adversarial.averageIncrease', 'gap.accuracy', { resamples: 100 }).notes, []);
  const mixed = [
    flatness(0, 'pgd:linf:eps=0.1', 100),
    flatness(1, 'pgd:linf:eps=0.3', 100),
    flatness(2, 'pgd:linf:eps=0.1', 200),
    ...[0, 1, 2].map(evalOf),
  ];
  const notes = correlateResults(mixed, 'adversarial.averageIncrease', 'gap.accuracy', { resamples: 100 }).notes;
  assert.equal(notes.length, 2);
  assert.match(
    notes[0]!,
    /^x \(adversarial\.averageIncrease\) comes from results made with different attack: "pgd:linf:eps=0\.1" vs "pgd:linf:eps=0\.3"/,
  );
  assert.match(notes[1]!, /different subset: 100 vs 200/);
  assert.throws(
    () => correlateResults(same, 'adversarial.averageIncrease', 'gap.accuracy', { resamples: 1e12 }),
    /correlate: resamples must be an integer in 1–1000000 \(got 1000000000000\)/,
  );
});

test('the correlate command: a constant measure is a note on stderr and null in the JSON; --resamples 1e12 exits 2', async () => {
  const { spawnSync } = await import('node:child_process');
  const { mkdtempSync, readFileSync, rmSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'weightscape-correlate-'));
  try {
    const paths = [0.1, 0.4, 0.2].map((y, i) => {
      const path = join(dir, `r${i}.json`);
      writeFileSync(path, JSON.stringify(checkpointResult(`c${i}`, { x: 2, y }).json));
      return path;
    });
    const bin = new URL('../../bin/weightscape.js', import.meta.url).pathname;
    const out = join(dir, 'c.json');
    const svg = join(dir, 'c.svg');
    const run = spawnSync(
      process.execPath,
      [bin, 'correlate', ...paths, '--x', 'x', '--y', 'y', '--resamples', '100', '--out', out, '--svg', svg],
      { encoding: 'utf8', timeout: 120_000 },
    );
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /note: x \(x\) is constant across the 3 checkpoints: correlation undefined/);
    assert.equal(JSON.parse(readFileSync(out, 'utf8')).coefficients.pearson.value, null);
    assert.ok(!readFileSync(svg, 'utf8').includes('NaN'));
    const bounded = spawnSync(
      process.execPath,
      [bin, 'correlate', ...paths, '--x', 'x', '--y', 'y', '--resamples', '1e12'],
      { encoding: 'utf8', timeout: 120_000 },
    );
    assert.equal(bounded.status, 2);
    assert.equal(bounded.stderr.trim(), "weightscape: --resamples: expected an integer in 100–1000000 (got '1e12')");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
