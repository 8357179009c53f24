import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JSDOM } from 'jsdom';
import { flatnessCurvesSvg, type CurveSeries } from '../../src/report/flatness-curves.ts';
import { gapTableCsv, gapTableMarkdown, gapTableSvg, type GapRow } from '../../src/report/gap-table.ts';
import { buildReport } from '../../src/report/build-report.ts';
import type { LandscapeResult } from '../../src/landscape/sample-landscape.ts';
import { assertGolden } from './golden.ts';
import { syntheticEval } from '../helpers/eval-result.ts';

const alphas = Array.from({ length: 11 }, (_, i) => -1 + i / 5);
const HOSTILE = 'AWP <script>alert(1)</script> & "co"';
const series: CurveSeries[] = [
  {
    label: 'pgd-at',
    alphas,
    clean: alphas.map((a) => 0.5 + 2 * a * a),
    adversarial: alphas.map((a) => 1.2 + 3 * a * a),
  },
  { label: HOSTILE, alphas, clean: alphas.map((a) => 0.6 + a * a), adversarial: null },
];
const rows: GapRow[] = [
  {
    label: 'pgd-at',
    trainRobustAccuracy: 0.71,
    testRobustAccuracy: 0.55,
    gap: 0.16,
    testCleanAccuracy: 0.8,
    flatness: 1.234,
    source: { kind: 'eval' },
  },
  {
    label: HOSTILE,
    trainRobustAccuracy: 0.6,
    testRobustAccuracy: 0.56,
    gap: 0.04,
    testCleanAccuracy: 0.79,
    flatness: null,
    source: { kind: 'log', epoch: 8 },
  },
];

function parseSvg(svg: string): Document {
  const doc = new new JSDOM('').window.DOMParser().parseFromString(svg, 'image/svg+xml');
  assert.equal(doc.getElementsByTagName('parsererror').length, 0, 'valid XML');
  return doc;
}

test('flatness curves: one path per curve, a legend entry per checkpoint, ticks and labels, escaped text', () => {
  const svg = flatnessCurvesSvg(series, { width: 560, height: 340 });
  const doc = parseSvg(svg);
  assert.equal(doc.querySelectorAll('path.curve').length, 3); // 2 + 1 (no adversarial curve for the second)
  assert.ok(doc.querySelectorAll('.x-axis line.tick').length >= 5);
  assert.ok(doc.querySelectorAll('.y-axis line.tick').length >= 4);
  assert.equal(doc.querySelector('.x-label')!.textContent, 'α along the direction');
  assert.ok(!svg.includes('<script'), 'labels are escaped');
  assert.ok(svg.includes('&lt;script&gt;') && svg.includes('&amp;'));
  assert.equal(doc.querySelector('svg')!.getAttribute('width'), '560');
  assert.equal(svg, flatnessCurvesSvg(series, { width: 560, height: 340 }), 'same input, same bytes');
});

test('golden file: flatness curves (fails when missing; writes flatness-curves-changed.svg on mismatch)', () => {
  assertGolden('flatness-curves', flatnessCurvesSvg(series, { width: 560, height: 340 }));
});

test('gap table as SVG, Markdown and CSV, labels escaped for each', () => {
  const doc = parseSvg(gapTableSvg(rows, 560));
  const texts = [...doc.querySelectorAll('.gap-table text')].map((t) => t.textContent);
  assert.ok(texts.includes('16.0') && texts.includes('71.0%') && texts.includes('1.234') && texts.includes('–'));
  assert.ok(texts.includes('% train') && texts.includes('robust'), 'two-line headers with units');
  assert.ok(texts.includes('eval') && texts.includes('log, ep. 8'), 'the source of each row');
  assert.match(gapTableMarkdown(rows), /\| pgd-at \| 71\.0% \| 55\.0% \| 16\.0 \| 80\.0% \| 1\.234 \| eval result \|/);
  assert.match(gapTableMarkdown(rows), /\| model \| train robust \(%\) \| test robust \(%\) \| gap \(pts\) \|/);
  assert.ok(gapTableCsv(rows).includes('"AWP <script>alert(1)</script> & ""co"""'));
  assert.equal(gapTableCsv(rows).split('\n')[1], 'pgd-at,0.71,0.55,0.16,0.8,1.234,,eval result');
  assert.match(gapTableCsv(rows), /,"training log, epoch 8"\n$/);
});

test('a whole report: combined figure, index.html with escaped names and tables, byte-identical', () => {
  const landscape = {
    schema: 'weightscape.landscape/1',
    grid: { alphas, betas: null, layout: '' },
    complete: true,
    settings: {
      checkpoint: 'runs/pgd-at/model.safetensors',
      data: 'mini',
      split: 'test',
      subset: 32,
      attack: 'pgd:linf:eps=0.1:steps=10',
      bn: 'eval',
      directions: ['filter'],
      seed: 7,
    },
    directions: [{ spec: 'filter' }],
    values: {
      cleanLoss: [series[0]!.clean],
      cleanAccuracy: [alphas.map(() => 0.5)],
      robustLoss: [series[0]!.adversarial!],
      robustAccuracy: [alphas.map(() => 0.3)],
    },
    flatness: {
      clean: { atZero: 0.5, rho: 1, increasePlus: 2, increaseMinus: 2, increaseMax: 2, curvature: 4, fitPoints: 5 },
      adversarial: {
        atZero: 1.2,
        rho: 1,
        increasePlus: 3,
        increaseMinus: 3,
        increaseMax: 3,
        curvature: 6,
        fitPoints: 5,
      },
    },
    provenance: { checkpoint: { sha256: 'abc' } },
  } as unknown as LandscapeResult;
  const evalResult = syntheticEval(0.7, 0.6, 'abc');
  const inputs = {
    landscapes: [{ label: HOSTILE, result: landscape }],
    evals: [{ label: 'eval <b>', result: evalResult }],
    runs: [],
    correlations: [],
  };
  const report = buildReport(inputs, { width: 560, height: 340 });
  assert.deepEqual(Object.keys(report.files).sort(), [
    'combined.svg',
    'flatness-curves.svg',
    'gap-table.csv',
    'gap-table.md',
    'gap-table.svg',
    'index.html',
  ]);
  const combined = parseSvg(report.files['combined.svg']!);
  assert.equal(combined.querySelectorAll('path.curve').length, 2);
  assert.equal(combined.querySelectorAll('.gap-table').length, 1);
  const html = report.files['index.html']!;
  assert.ok(!html.includes('<script') && !html.includes('<b>'), 'names escaped in HTML');
  assert.match(
    html,
    /<td>eval &lt;b&gt;<\/td><td>70\.0%<\/td><td>60\.0%<\/td><td>10\.0<\/td><td>80\.0%<\/td><td>3\.000<\/td>/,
  );
  assert.deepEqual(buildReport(inputs, { width: 560, height: 340 }), report);
});

test('2D contours with a colour bar, and the scatter with its fit line and coefficients', async () => {
  const { contourSvg } = await import('../../src/report/contour-plot.ts');
  const { scatterSvg } = await import('../../src/report/scatter-plot.ts');
  const betas = [-1, -0.5, 0, 0.5, 1];
  const result = {
    grid: { alphas, betas },
    values: { cleanLoss: betas.map((b) => alphas.map((a) => a * a + 2 * b * b)) },
  } as unknown as LandscapeResult;
  const contour = parseSvg(contourSvg(result, { width: 560, height: 340 }, 'a <2D> landscape'));
  assert.ok(contour.querySelectorAll('path.contour').length >= 5, 'one filled band per threshold');
  // The lowest band starts at the minimum, so no cell is left unfilled.
  assert.equal(contour.querySelector('path.contour')!.getAttribute('d')!.startsWith('M'), true);
  assert.equal(
    contour.querySelector('path.contour')!.getAttribute('fill'),
    contour.querySelectorAll('.colour-bar rect')[0]!.getAttribute('fill'),
  );
  assert.equal(contour.querySelectorAll('.colour-bar rect.band').length, 14, 'one block per band of the 15 log levels');
  assert.equal(contour.querySelector('.chart-title')!.textContent, 'a <2D> landscape');
  const correlation = {
    x: 'adversarial.averageIncrease',
    y: 'gap.accuracy',
    points: [
      { checkpoint: 'a', sha256: 'a', x: 1, y: 2 },
      { checkpoint: 'b', sha256: 'b', x: 2, y: 4 },
      { checkpoint: 'c', sha256: 'c', x: 3, y: 5 },
    ],
    coefficients: {
      pearson: { value: 0.98, interval: { low: 0.9, high: 1, level: 0.95 }, permutation: { pValue: 0.5 } },
      spearman: { value: 1, interval: { low: 1, high: 1, level: 0.95 }, permutation: { pValue: 1 / 3 } },
      kendall: { value: 1, interval: { low: 1, high: 1, level: 0.95 }, permutation: { pValue: 1 / 3 } },
    },
  } as never;
  const scatter = parseSvg(scatterSvg(correlation, { width: 560, height: 360 }));
  assert.equal(scatter.querySelectorAll('circle.point').length, 3);
  assert.equal(scatter.querySelectorAll('path.fit').length, 1);
  assert.deepEqual(
    [...scatter.querySelectorAll('.coefficients')].map((t) => t.textContent),
    [
      'n = 3 checkpoints; 95% bootstrap intervals; p-values from permutations',
      'Pearson r = 0.98, interval [0.90, 1.00], permutation p = 0.50',
      'Spearman ρ = 1.00, interval [1.00, 1.00], permutation p = 0.33',
      'Kendall τ = 1.00, interval [1.00, 1.00], permutation p = 0.33',
    ],
  );
});
