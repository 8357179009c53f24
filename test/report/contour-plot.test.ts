import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { JSDOM } from 'jsdom';
import * as d3 from 'd3';
import { contourFrame, contourSvg } from '../../src/report/contour-plot.ts';
import { contourLevels, parseContourOptions, type ContourOptions } from '../../src/report/contour-levels.ts';
import type { LandscapeResult } from '../../src/results/landscape-schema.ts';

const GOLDEN = fileURLToPath(new URL('./golden/contour.svg', import.meta.url));
const SIZE = { width: 560, height: 340 };
const grid = Array.from({ length: 11 }, (_, i) => round1(-1 + i / 5));
function round1(v: number) {
  return Math.round(v * 10) / 10;
}

/** A bowl, x² + 2y² + 0.1, on an 11 × 11 grid over [−1, 1]²; the minimum 0.1 at θ. */
function bowl(alphas = grid, betas = grid, specs = ['filter', 'filter']): LandscapeResult {
  return {
    grid: { alphas, betas, layout: 'betas x alphas' },
    directions: specs.map((spec) => ({ spec, normalization: 'filter', includeBn: false, seed: 0 })),
    values: { cleanLoss: betas.map((b) => alphas.map((a) => a * a + 2 * b * b + 0.1)), robustLoss: null },
  } as unknown as LandscapeResult;
}

const parser = new new JSDOM('').window.DOMParser();
function parse(svg: string): Document {
  const doc = parser.parseFromString(svg, 'image/svg+xml');
  assert.equal(doc.getElementsByTagName('parsererror').length, 0, 'valid XML');
  return doc;
}

/** The rings of a path made of M, L and Z commands. */
function rings(d: string): Array<Array<[number, number]>> {
  return d
    .split('Z')
    .filter((s) => s.includes('M'))
    .map((s) =>
      s
        .replace('M', '')
        .split('L')
        .map((p) => p.split(',').map(Number) as [number, number]),
    );
}

/**
 * The fill seen at each grid point within `radius` (in α, β) of θ: the last painted contour whose
 * rings hold the point an odd number of times (holes cancel). Returns the distinct fills.
 */
function bandsNearMinimum(svg: string, radius: number): Set<string> {
  const doc = parse(svg);
  const frame = doc.querySelector('.plot-frame')!;
  const [w, h] = [Number(frame.getAttribute('data-width')), Number(frame.getAttribute('data-height'))];
  const paths = [...doc.querySelectorAll('path.contour')].map((p) => ({
    fill: p.getAttribute('fill')!,
    rings: rings(p.getAttribute('d')!),
  }));
  const fills = new Set<string>();
  for (const a of grid)
    for (const b of grid) {
      if (Math.hypot(a, b) > radius) continue;
      const point: [number, number] = [((a + 1) / 2) * w, ((1 - b) / 2) * h];
      const top = [...paths]
        .reverse()
        .find((p) => p.rings.filter((r) => d3.polygonContains(r, point)).length % 2 === 1);
      assert.ok(top !== undefined, `grid point (${a}, ${b}) is coloured`);
      fills.add(top.fill);
    }
  return fills;
}

test('golden file: contour of a bowl (fails when the golden file is missing; WEIGHTSCAPE_UPDATE_GOLDEN=1 writes it)', () => {
  const svg = contourSvg(bowl(), SIZE, 'Clean loss: bowl');
  if (process.env.WEIGHTSCAPE_UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, svg);
  assert.ok(existsSync(GOLDEN), `${GOLDEN} is missing: run with WEIGHTSCAPE_UPDATE_GOLDEN=1 to write it`);
  if (readFileSync(GOLDEN, 'utf8') !== svg) {
    writeFileSync(GOLDEN.replace(/\.svg$/, '-changed.svg'), svg);
    assert.fail('contour.svg changed; compare with contour-changed.svg and replace the golden file if intended');
  }
});

test('log levels show the basin as at least five bands; ten linear levels as fewer', () => {
  const log = bandsNearMinimum(contourSvg(bowl(), SIZE, 'bowl'), 0.5);
  const linear = bandsNearMinimum(
    contourSvg(bowl(), SIZE, 'bowl', 'cleanLoss', { levels: { spacing: 'linear', count: 10 } }),
    0.5,
  );
  assert.ok(log.size >= 5, `log levels: ${log.size} bands within 0.5 of θ`);
  assert.ok(linear.size < log.size, `linear: ${linear.size} bands, log: ${log.size}`);
  assert.equal(linear.size, 2); // 0.1 … 0.6 near θ against steps of (3.1 − 0.1) / 9 = 0.33
});

test('levels: geometric from the minimum to the maximum; shifted when the minimum is ≤ 0; vmin/vmax', () => {
  const { values } = contourLevels([0.1, 1, 10], { levels: { spacing: 'log', count: 3 } });
  assert.deepEqual(
    values.map((v) => Math.round(v * 1e9) / 1e9),
    [0.1, 1, 10],
  );
  const shifted = contourLevels([-1, 0, 99], { levels: { spacing: 'log', count: 3 } }).values;
  // value − (−1) + ε with ε = 1% of the range = 1 spans 1 … 101, geometrically: 1, √101, 101
  assert.deepEqual(
    shifted.map((v) => Math.round(v * 1e9) / 1e9),
    [-1, Math.round((Math.sqrt(101) - 2) * 1e9) / 1e9, 99],
  );
  const clipped = contourLevels([0.1, 10], { vmin: 1, vmax: 4, levels: { spacing: 'linear', count: 4 } });
  assert.deepEqual(clipped.values, [1, 2, 3, 4]);
  assert.equal(clipped.colour(-5), clipped.colour(0), 'below vmin: the first colour');
  assert.equal(clipped.colour(9), clipped.colour(2), 'above vmax: the last colour');
  assert.deepEqual(clipped.clipped, { low: true, high: true });
  const bar = parse(contourSvg(bowl(), SIZE, 'b', 'cleanLoss', { vmax: 2 })).querySelectorAll(
    '.colour-bar .tick-label',
  );
  assert.equal(bar[0]!.textContent, '0.1');
  assert.equal(bar[bar.length - 1]!.textContent, '≥ 2', 'the top label says higher values share its colour');
  assert.throws(() => contourLevels([0, 1], { vmin: 2 }), /^WeightscapeError: --vmin: 2 is not below/);
});

test('θ is marked at the pixel of (0, 0); an interpolate: direction marks the other checkpoint, escaped', () => {
  const doc = parse(contourSvg(bowl(), SIZE, 'bowl'));
  const g = doc.querySelector('.plot-frame')!;
  const [w, h] = [Number(g.getAttribute('data-width')), Number(g.getAttribute('data-height'))];
  const theta = doc.querySelector('.marker-theta circle')!;
  assert.equal(Number(theta.getAttribute('cx')), w / 2);
  assert.equal(Number(theta.getAttribute('cy')), h / 2);
  assert.equal(doc.querySelector('.marker-theta text')!.textContent, 'θ');
  const alphas = [-0.5, 0, 0.5, 1, 1.5];
  const svg = contourSvg(bowl(alphas, grid, ['interpolate:runs/<b>&end.safetensors', 'filter']), SIZE, 'i');
  const other = parse(svg).querySelector('.marker-checkpoint')!;
  assert.equal(other.querySelector('text')!.textContent, '<b>&end.safetensors');
  assert.ok(svg.includes('&lt;b&gt;&amp;end.safetensors') && !svg.includes('<b>'));
  const fw = Number(parse(svg).querySelector('.plot-frame')!.getAttribute('data-width'));
  assert.equal(Number(other.getAttribute('data-x')), Math.round(((1 + 0.5) / 2) * fw * 100) / 100);
  // θ outside the grid: no marker.
  assert.equal(parse(contourSvg(bowl([1, 2, 3], grid), SIZE, 'o')).querySelector('.marker-theta'), null);
});

test('the plot frame is square for equal ranges and proportional otherwise; labels do not overlap', () => {
  const doc = parse(contourSvg(bowl(), SIZE, 'bowl'));
  const g = doc.querySelector('.plot-frame')!;
  assert.equal(g.getAttribute('data-width'), g.getAttribute('data-height'));
  assert.equal(Number(g.getAttribute('data-height')), 340 - 28 - 48);
  const wide = contourFrame(2, 1, { width: 900, height: 340 });
  assert.equal(wide.width, 2 * wide.height);
  const svg = parse(contourSvg(bowl([-1, 0, 1, 2, 3], grid), SIZE, 'wide')).querySelector('svg')!;
  assert.equal(Number(svg.getAttribute('height')), 28 + 200 + 48, 'α range twice β: a 400 × 200 frame');
  // Level labels: several, each distinct, with a white halo, none overlapping another.
  const labels = [...doc.querySelectorAll('.level-labels text')];
  assert.ok(labels.length >= 3, `${labels.length} level labels`);
  assert.equal(labels[0]!.getAttribute('stroke'), '#ffffff');
  const boxes = labels.map((t) => [Number(t.getAttribute('x')), Number(t.getAttribute('y')), t.textContent!.length]);
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++) {
      const [x1, y1, n1] = boxes[i] as [number, number, number];
      const [x2, y2, n2] = boxes[j] as [number, number, number];
      assert.ok(Math.abs(x1 - x2) > ((n1 + n2) / 2) * 5 || Math.abs(y1 - y2) > 10, `labels ${i} and ${j} overlap`);
    }
  // The colour bar: one block per band, the level values as tick labels.
  assert.equal(doc.querySelectorAll('.colour-bar rect.band').length, 14);
  assert.equal(doc.querySelector('.colour-bar .tick-label')!.textContent, '0.1');
});

test('--levels/--vmin/--vmax: parsed strictly, refused with one line naming the flag', () => {
  const ok = (flags: Parameters<typeof parseContourOptions>[0], expected: ContourOptions) =>
    assert.deepEqual(parseContourOptions(flags), expected);
  ok({ levels: 'linear:10' }, { levels: { spacing: 'linear', count: 10 } });
  ok({ levels: '20' }, { levels: { spacing: 'log', count: 20 } });
  ok({ levels: 'log' }, { levels: { spacing: 'log', count: 15 } });
  ok({ levels: '0.5,1,2' }, { levels: [0.5, 1, 2] });
  ok({ vmin: '0.1', vmax: '3' }, { vmin: 0.1, vmax: 3 });
  const refuse = (flags: Parameters<typeof parseContourOptions>[0], pattern: RegExp) =>
    assert.throws(() => parseContourOptions(flags), pattern);
  refuse({ levels: 'cubic' }, /^WeightscapeError: --levels: "cubic"/);
  refuse({ levels: '1' }, /--levels: "1"/);
  refuse({ levels: '101' }, /--levels: "101"/);
  refuse({ levels: 'log:1' }, /--levels: "1"/);
  refuse({ levels: '1,3,2' }, /--levels: 3 then 2: levels must be strictly increasing/);
  refuse({ levels: '1,1,2' }, /--levels: 1 then 1/);
  refuse({ levels: '1,x' }, /--levels: "x" is not a finite number/);
  refuse({ vmin: 'abc' }, /--vmin: "abc" is not a finite number/);
  refuse({ vmin: '2', vmax: '2' }, /--vmin: 2 is not below --vmax 2/);
  refuse({ levels: '1,2', vmax: '3' }, /--vmax: not with a list of --levels/);
});
