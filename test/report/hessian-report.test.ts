import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { JSDOM } from 'jsdom';
import { buildReport } from '../../src/report/build-report.ts';
import { DENSITY_DECADES } from '../../src/report/hessian-density-chart.ts';
import { valueText } from '../../src/report/hessian-format.ts';
import { wrapName } from '../../src/report/hessian-layer-chart.ts';
import type { HessianResult } from '../../src/results/hessian-schema.ts';

const FIXTURE = fileURLToPath(new URL('../../fixtures/results/hessian.json', import.meta.url));
const SIZE = { width: 560, height: 340 };
const fixture = () => JSON.parse(readFileSync(FIXTURE, 'utf8')) as HessianResult;
const report = (result: HessianResult, label = 'hessian') =>
  buildReport({ landscapes: [], evals: [], runs: [], correlations: [], hessians: [{ label, result }] }, SIZE).files;

const parseSvg = (svg: string): Document => {
  const doc = new new JSDOM('').window.DOMParser().parseFromString(svg, 'image/svg+xml');
  assert.equal(doc.getElementsByTagName('parsererror').length, 0, 'valid XML');
  return doc;
};
const parseHtml = (html: string): Document => new JSDOM(html).window.document;
const texts = (doc: Document, selector: string) => [...doc.querySelectorAll(selector)].map((t) => t.textContent!);
/** d3's tick labels write minus as U+2212. */
const tickNumber = (text: string) => Number(text.replace('−', '-'));

test('a Hessian result gives the density figure, the eigenvalue table, the per-tensor chart and index entries', () => {
  const files = report(fixture());
  assert.deepEqual(Object.keys(files).sort(), [
    'hessian-density.svg',
    'hessian-eigenvalues.svg',
    'hessian-layers.svg',
    'index.html',
  ]);
  const index = parseHtml(files['index.html']!);
  assert.deepEqual([...index.querySelectorAll('img')].map((img) => img.getAttribute('src')).sort(), [
    'hessian-density.svg',
    'hessian-eigenvalues.svg',
    'hessian-layers.svg',
  ]);
  const headings = [...index.querySelectorAll('h2')].map((h) => h.textContent);
  assert.deepEqual(headings.slice(0, 2), ['Summary', 'Hessian spectra'], 'the summary, then the figures by kind');
  assert.ok(headings.includes('Hessian: hessian'), headings.join(' | '));
  const tables = [...index.querySelectorAll('table')];
  assert.equal(tables.length, 2);
  assert.equal(tables[0]!.querySelectorAll('tbody tr').length, 5, 'one row per eigenvalue');
  assert.equal(tables[1]!.querySelectorAll('tbody tr').length, 14, 'one row per tensor');
  assert.deepEqual(
    [...tables[1]!.querySelectorAll('tbody tr')[0]!.querySelectorAll('td')].map((td) => td.textContent),
    ['feature_extractor.conv1.weight', '36', '3.121', '4.1e-4', '31', '6.210 ± 0.42'],
  );
  assert.equal(
    index.querySelector('p.trace')!.textContent,
    'trace 61.87 ± 2.9 (standard error, 100 Rademacher probes)',
  );
  const density = [...index.querySelectorAll('figure')].find(
    (f) => f.querySelector('img')!.getAttribute('src') === 'hessian-density.svg',
  )!;
  const caption = density.querySelector('figcaption')!.textContent!;
  for (const setting of ['2 runs of 10 steps', 'σ = 0.15', '256 examples', 'adversarial loss', 'BatchNorm eval'])
    assert.ok(caption.includes(setting), `the density caption says ${setting}: ${caption}`);
  assert.equal(index.querySelectorAll('ul.notes li').length, 2);
});

test('a value that did not converge reads "<value> (not converged)" in every table, never as a plain number', () => {
  const result = fixture();
  const files = report(result);
  const flagged = [
    ...result.eigenvalues.filter((e) => !e.converged).map((e) => e.value),
    ...result.perLayer!.filter((l) => !l.topEigenvalue.converged).map((l) => l.topEigenvalue.value),
  ].map(valueText);
  assert.deepEqual(flagged, ['4.803', '0.4716']);
  const cells = [
    ...texts(parseHtml(files['index.html']!), 'td'),
    ...texts(parseSvg(files['hessian-eigenvalues.svg']!), 'text'),
    ...texts(parseSvg(files['hessian-layers.svg']!), 'text'),
  ];
  for (const plain of flagged) {
    assert.ok(!cells.includes(plain), `${plain} appears as a plain number`);
    // Once in index.html's table, once in the SVG (the eigenvalue table or the per-tensor value column).
    assert.equal(cells.filter((c) => c === `${plain} (not converged)`).length, 2);
  }
  // The converged values stay plain.
  assert.ok(cells.includes('12.41') && cells.includes('7.942'));
});

test('tensor names and labels with <script>&" are escaped in the SVGs and in index.html', () => {
  const hostile = 'conv<script>&"x.weight';
  const result = fixture();
  result.perLayer![0]!.name = hostile;
  const files = report(result, 'run <b>&"');
  for (const [name, content] of Object.entries(files)) {
    assert.ok(!content.includes('<script'), `${name}: no raw <script`);
    assert.ok(!content.includes('<b>'), `${name}: no raw <b>`);
  }
  assert.ok(files['index.html']!.includes('conv&lt;script&gt;&amp;&quot;x.weight'));
  const layers = files['hessian-run-b-layers.svg']!;
  assert.ok(
    layers.includes('conv&lt;script&gt;&amp;"x.weight') || layers.includes('conv&lt;script&gt;&amp;&quot;x.weight'),
  );
  assert.equal(texts(parseSvg(layers), 'text.tensor-label')[0], hostile, 'the name is drawn whole');
  const perTensor = parseHtml(files['index.html']!).querySelectorAll('table')[1]!;
  assert.equal(perTensor.querySelector('td')!.textContent, hostile);
});

test('the density path plots log10 of the density (checked point by point against the fixture)', () => {
  const result = fixture();
  const { grid, density } = result.density!;
  const doc = parseSvg(report(result)['hessian-density.svg']!);
  assert.equal(doc.querySelector('.y-label')!.textContent, 'log10 density');
  // Pixel → data maps from the axes' own ticks.
  const scale = (positions: number[], labels: string[]) => {
    const [p0, p1] = [positions[0]!, positions.at(-1)!];
    const [v0, v1] = [tickNumber(labels[0]!), tickNumber(labels.at(-1)!)];
    return (p: number) => v0 + ((p - p0) * (v1 - v0)) / (p1 - p0);
  };
  const yTicks = [...doc.querySelectorAll('.y-axis line.tick')].map((l) => Number(l.getAttribute('y1')));
  const xTicks = [...doc.querySelectorAll('.x-axis line.tick')].map((l) => Number(l.getAttribute('x1')));
  const yOf = scale(yTicks, texts(doc, '.y-axis text'));
  const xOf = scale(xTicks, texts(doc, '.x-axis text'));
  const points = [
    ...doc
      .querySelector('path.density')!
      .getAttribute('d')!
      .matchAll(/[ML]([-\d.]+),([-\d.]+)/g),
  ].map((m) => [xOf(Number(m[1])), yOf(Number(m[2]))] as const);
  assert.ok(points.length > 100, `${points.length} points drawn`);
  const peak = density.indexOf(Math.max(...density));
  let checkedPeak = false;
  for (const [eigenvalue, plotted] of points) {
    const i = grid.reduce(
      (best, g, j) => (Math.abs(g - eigenvalue) < Math.abs(grid[best]! - eigenvalue) ? j : best),
      0,
    );
    assert.ok(Math.abs(grid[i]! - eigenvalue) < 1e-3, `a path point at a grid point (${eigenvalue})`);
    assert.ok(Math.abs(plotted - Math.log10(density[i]!)) < 0.01, `log10 density at ${grid[i]}: ${plotted}`);
    if (i === peak) checkedPeak = true;
  }
  // At the peak, density 2.55: log10 is 0.41; the linear value would be read as 2.55.
  assert.ok(checkedPeak);
  assert.ok(Math.abs(Math.log10(density[peak]!) - density[peak]!) > 1);
  // The fixture's density falls to 1e-40 between its outliers: those points are left out, not drawn at the floor.
  assert.ok(points.length < grid.length);
  assert.ok(points.every(([, l]) => l >= Math.log10(density[peak]!) - DENSITY_DECADES - 2));
});

test('the top eigenvalues are marked on the density, the one not converged dashed and labelled', () => {
  const doc = parseSvg(report(fixture())['hessian-density.svg']!);
  const markers = [...doc.querySelectorAll('line.eigenvalue-marker')];
  assert.equal(markers.length, 5);
  const dashed = markers.filter((m) => m.getAttribute('stroke-dasharray') !== null);
  assert.equal(dashed.length, 1);
  assert.equal(dashed[0]!.getAttribute('class'), 'eigenvalue-marker not-converged');
  assert.equal(dashed[0]!.querySelector('title')!.textContent, 'eigenvalue 5: 4.803 (not converged)');
  assert.deepEqual(texts(doc, 'text.marker-label'), ['not converged']);
  assert.ok(texts(doc, '.legend text').includes('top eigenvalue, not converged (an estimate)'));
});

test('the per-tensor chart has one bar per tensor, widths proportional to the top eigenvalues, the estimate hatched', () => {
  const result = fixture();
  const doc = parseSvg(report(result)['hessian-layers.svg']!);
  const bars = [...doc.querySelectorAll('rect.bar')];
  const layers = result.perLayer!;
  assert.equal(bars.length, layers.length);
  const ratios = bars.map((b, i) => Number(b.getAttribute('width')) / layers[i]!.topEigenvalue.value);
  for (const r of ratios) assert.ok(Math.abs(r / ratios[0]! - 1) < 0.01, `width per unit ${r} against ${ratios[0]}`);
  assert.deepEqual(
    texts(doc, 'text.tensor-label'),
    layers.map((l) => l.name),
  );
  const hatched = bars.filter((b) => b.getAttribute('fill') === 'url(#hatch)');
  assert.deepEqual(
    hatched.map((b) => b.querySelector('title')!.textContent),
    ['classifier.fc1.bias: 0.4716 (not converged)'],
  );
  assert.ok(doc.querySelector('pattern#hatch'));
  assert.ok(texts(doc, '.legend text').includes('not converged (an estimate)'));
});

test('a long tensor name wraps onto lines (never cut) and the chart keeps room for it', () => {
  const name = 'encoder.layers.11.attention.self_attention.query_key_value_projection.weight_orig';
  const lines = wrapName(name, 30);
  assert.equal(lines.join(''), name);
  assert.ok(lines.length > 1 && lines.every((l) => l.length <= 30));
  assert.deepEqual(wrapName('abcdefghij', 4), ['abcd', 'efgh', 'ij']);
  const result = fixture();
  result.perLayer![3]!.name = name;
  const doc = parseSvg(report(result)['hessian-layers.svg']!);
  const label = doc.querySelectorAll('text.tensor-label')[3]!;
  assert.equal(label.textContent, name);
  assert.ok(label.querySelectorAll('tspan').length > 1);
  const plotLeft = Number(
    doc
      .querySelector('g.bars')!
      .getAttribute('transform')!
      .match(/translate\(([\d.]+)/)![1],
  );
  const longest = Math.max(...[...label.querySelectorAll('tspan')].map((t) => t.textContent!.length));
  assert.ok(plotLeft >= longest * 7, `labels end before the bars (${plotLeft}px for ${longest} characters)`);
});

test('a result with only its eigenvalues (no trace, density or per-tensor rows) gives the eigenvalue table alone', () => {
  const result = { ...fixture(), trace: null, density: null, perLayer: null };
  const files = report(result);
  assert.deepEqual(Object.keys(files).sort(), ['hessian-eigenvalues.svg', 'index.html']);
  const index = parseHtml(files['index.html']!);
  assert.equal(index.querySelectorAll('table').length, 1);
  assert.equal(index.querySelector('p.trace'), null);
  assert.ok(!files['hessian-eigenvalues.svg']!.includes('trace'));
  // A density with nothing positive to take the log of draws no figure rather than an empty one.
  const flat = fixture();
  flat.density!.density = flat.density!.density.map(() => 0);
  assert.equal(report(flat)['hessian-density.svg'], undefined);
});
