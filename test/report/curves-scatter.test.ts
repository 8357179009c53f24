/** The 1D curves and the scatter as a reader sees them: names whole, markers, log scale, zoom, labels, coefficients. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JSDOM } from 'jsdom';
import { flatnessCurvesFigure, type CurveSeries } from '../../src/report/flatness-curves.ts';
import { scatterSvg } from '../../src/report/scatter-plot.ts';
import { textWidth } from '../../src/report/svg-canvas.ts';
import type { CorrelationResult } from '../../src/results/correlation-schema.ts';
import { assertGolden } from './golden.ts';

const SIZE = { width: 560, height: 340 };
const alphas = Array.from({ length: 11 }, (_, i) => -1 + i / 5);
const LONG = 'pgd-at (filter direction, seed 3) at epoch 8 of 30, trained on the mini subset';
const series: CurveSeries[] = [
  {
    label: LONG,
    alphas,
    clean: alphas.map((a) => 0.5 + 2 * a * a),
    adversarial: alphas.map((a) => 1.2 + 3 * a * a),
    direction: 'filter:seed=3',
  },
  { label: 'trades', alphas, clean: alphas.map((a) => 0.6 + a * a), adversarial: null, direction: 'filter' },
];

function parse(svg: string): Document {
  const doc = new new JSDOM('').window.DOMParser().parseFromString(svg, 'image/svg+xml');
  assert.equal(doc.getElementsByTagName('parsererror').length, 0, 'valid XML');
  return doc;
}

/** The legend's visible lines per entry, joined back (names are wrapped at spaces, or after a hyphen it keeps). */
const legendNames = (doc: Document) =>
  [...doc.querySelectorAll('.legend > g')]
    .map((g) =>
      [...g.querySelectorAll('text.legend-name')]
        .map((t) => t.textContent!)
        .reduce((name, line) => (name === '' || name.endsWith('-') ? name + line : `${name} ${line}`), ''),
    )
    .filter((name) => name !== '');

test('1D curves: the long name whole in the legend, a marker per sampled point, the direction in the title', () => {
  const hyphenated = { ...series[1]!, label: 'pgd-at-adversarial-landscape', clean: alphas.map((a) => 0.7 + a * a) };
  const { svg, notes } = flatnessCurvesFigure([...series, hyphenated], SIZE);
  const doc = parse(svg);
  assert.deepEqual(legendNames(doc), [LONG, 'trades', 'pgd-at-adversarial-landscape']);
  assert.deepEqual(
    [...doc.querySelectorAll('.legend > g:nth-of-type(3) text.legend-name')].map((t) => t.textContent),
    ['pgd-at-', 'adversarial-', 'landscape'],
    'broken after a hyphen, not inside a word',
  );
  assert.ok(!svg.includes('…'), 'nothing cut');
  assert.equal(doc.querySelectorAll('circle.marker').length, 11 * 2 + 11 + 11);
  assert.equal(doc.querySelector('.chart-title')!.textContent, 'Loss along a filter-normalized random direction');
  assert.deepEqual(notes, []);
  assertGolden('flatness-curves-long-legend', svg);
});

test('1D curves: the adversarial direction says so; mixed directions say neither', () => {
  const awp = series.map((s) => ({ ...s, direction: 'adversarial' }));
  const title = (s: CurveSeries[]) =>
    parse(flatnessCurvesFigure(s, SIZE).svg).querySelector('.chart-title')!.textContent;
  assert.equal(title(awp), 'Loss along the adversarial (AWP) direction');
  assert.equal(title([awp[0]!, series[1]!]), 'Loss along 1D directions');
});

test('1D curves: a legend too tall for the side moves below the plot and the figure grows', () => {
  const many = Array.from({ length: 9 }, (_, i) => ({ ...series[0]!, label: `${LONG} #${i}` }));
  const doc = parse(flatnessCurvesFigure(many, SIZE).svg);
  const height = Number(doc.querySelector('svg')!.getAttribute('height'));
  assert.ok(height > SIZE.height, `grown: ${height}`);
  assert.deepEqual(
    legendNames(doc),
    many.map((s) => s.label),
  );
  const legendTop = Number(
    /translate\([\d.]+,([\d.]+)\)/.exec(doc.querySelector('.legend')!.getAttribute('transform')!)![1],
  );
  assert.ok(legendTop >= SIZE.height, `below the plot: ${legendTop}`);
});

test('1D curves with --log-y: a log axis; refused with a note (and drawn linear) when a loss is ≤ 0', () => {
  const steep = series.map((s) => ({
    ...s,
    clean: s.alphas.map((a) => 0.05 + 100 * a ** 4),
    adversarial: s.adversarial && s.alphas.map((a) => 0.2 + 140 * a ** 4),
  }));
  const log = flatnessCurvesFigure(steep, { ...SIZE, logY: true });
  const doc = parse(log.svg);
  assert.deepEqual(log.notes, []);
  assert.equal(doc.querySelector('.y-label')!.textContent, 'loss (cross-entropy, log scale)');
  const ticks = [...doc.querySelectorAll('.y-axis text')].map((t) => t.textContent).filter((t) => t !== '');
  assert.ok(ticks.includes('0.01') && ticks.includes('100'), `decades: ${ticks.join(' ')}`);
  assert.equal(doc.querySelectorAll('.chart-title').length, 1, 'no zoom panel on a log scale');
  assertGolden('flatness-curves-log-y', log.svg);

  const zero = [{ ...steep[1]!, clean: steep[1]!.clean.map((v, j) => (j === 5 ? 0 : v)) }];
  const refused = flatnessCurvesFigure(zero, { ...SIZE, logY: true });
  assert.equal(refused.notes.length, 1);
  assert.match(refused.notes[0]!, /--log-y: trades has a loss of 0 ≤ 0.*linear scale/);
  assert.equal(parse(refused.svg).querySelector('.y-label')!.textContent, 'loss (cross-entropy)');
});

test('1D curves: a zoom panel on the central half of α when a few points dominate the range, none otherwise', () => {
  const steep = [{ ...series[1]!, clean: alphas.map((a) => 0.05 + 100 * a ** 4) }];
  const doc = parse(flatnessCurvesFigure(steep, SIZE).svg);
  const titles = [...doc.querySelectorAll('.chart-title')].map((t) => t.textContent);
  // Full range 100 against 100·0.6⁴ ≈ 13 over |α| ≤ 0.6, the central half: more than 10×.
  assert.deepEqual(titles, [
    'Loss along a filter-normalized random direction',
    'Zoom on the basin: α from -0.5 to 0.5 (the central half)',
  ]);
  assert.equal(doc.querySelectorAll('circle.marker').length, 11 + 5, 'the zoom marks the 5 central points');
  assert.equal(parse(flatnessCurvesFigure(series, SIZE).svg).querySelectorAll('.chart-title').length, 1);
});

const coefficient = (value: number, low: number, high: number, pValue: number) => ({
  value,
  interval: { low, high, level: 0.95, resamples: 1000, undefinedResamples: 0 },
  permutation: { pValue, exact: true, permutations: 24 },
});

function correlation(y: string, ys: number[]): CorrelationResult {
  return {
    schema: 'weightscape.correlation/1',
    x: 'adversarial.averageIncrease',
    y,
    points: ys.map((v, i) => ({
      checkpoint: `runs/pgd-at/epochs/${i + 1}/model.safetensors`,
      sha256: `s${i}`,
      run: 'pgd-at',
      epoch: 2 * i + 2,
      x: 0.1 + 0.05 * i,
      y: v,
    })),
    coefficients: {
      pearson: coefficient(0.94, 0.5, 1, 0.083),
      spearman: coefficient(1, 1, 1, 0.042),
      kendall: coefficient(1, 1, 1, 0.042),
    },
    settings: { resamples: 1000, permutations: 24, seed: 0 },
    notes: [],
  } as CorrelationResult;
}

/** The y label's line nearest the axis, left of each y tick label's left edge (x, anchored at its end, − width). */
function yLabelClear(doc: Document): void {
  const label = doc.querySelector('.y-label')!;
  const first = Number(/translate\((-?[\d.]+),/.exec(label.getAttribute('transform')!)![1]);
  const labelX = first + 14 * Math.max(0, label.querySelectorAll('tspan').length - 1);
  for (const tick of doc.querySelectorAll('.y-axis text')) {
    const left = Number(tick.getAttribute('x')) - textWidth(tick.textContent!);
    assert.ok(labelX < left, `y label at ${labelX} overlaps tick "${tick.textContent}" from ${left}`);
  }
}

test('scatter: described axes, the gap in points as in the table, points named (run, epoch), three coefficients named', () => {
  const svg = scatterSvg(correlation('gap.accuracy', [0.021, 0.034, 0.05, 0.062]), SIZE);
  const doc = parse(svg);
  assert.equal(
    doc.querySelector('.x-label')!.textContent,
    'Mean rise of the adversarial loss at ρ along random directions',
  );
  assert.equal(doc.querySelector('.y-label')!.textContent, 'Robust generalization gap (accuracy points)');
  const yTicks = [...doc.querySelectorAll('.y-axis text')].map((t) => Number(t.textContent));
  assert.ok(Math.max(...yTicks) >= 6 && Math.max(...yTicks) <= 8, `points, not a fraction: ${yTicks.join(' ')}`);
  assert.match(doc.querySelector('circle.point title')!.textContent!, /^pgd-at@2: \(0\.1, 2\.1\)$/);
  assert.deepEqual(
    [...doc.querySelectorAll('.point-label')].map((t) => t.textContent),
    ['pgd-at@2', 'pgd-at@4', 'pgd-at@6', 'pgd-at@8'],
  );
  const footer = [...doc.querySelectorAll('.coefficients')].map((t) => t.textContent!);
  assert.deepEqual(footer, [
    'n = 4 checkpoints; 95% bootstrap intervals; p-values from permutations',
    'Pearson r = 0.94, interval [0.50, 1.00], permutation p = 0.083',
    'Spearman ρ = 1.00, interval [1.00, 1.00], permutation p = 0.042',
    'Kendall τ = 1.00, interval [1.00, 1.00], permutation p = 0.042',
  ]);
  yLabelClear(doc);
  assertGolden('scatter', svg);
});

test('scatter: the y label clears wide tick labels; --x-label/--y-label replace the descriptions', () => {
  const doc = parse(
    scatterSvg(correlation('gap.loss', [0.01212, 0.01225, 0.01238, 0.01251]), {
      ...SIZE,
      xLabel: 'flatness',
      yLabel: 'gap',
    }),
  );
  assert.ok(
    [...doc.querySelectorAll('.y-axis text')].some((t) => t.textContent!.length >= 6),
    'wide ticks',
  );
  yLabelClear(doc);
  assert.equal(doc.querySelector('.x-label')!.textContent, 'flatness');
  assert.equal(doc.querySelector('.y-label')!.textContent, 'gap');
  const raw = parse(scatterSvg({ ...correlation('epochs.3.gap.loss', [1, 2, 3, 5]), x: 'some.path' }, SIZE));
  assert.equal(raw.querySelector('.x-label')!.textContent, 'some.path', 'an unknown path is shown as it is');
});
