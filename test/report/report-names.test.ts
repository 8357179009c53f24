import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildReport, readReportInputs } from '../../src/report/build-report.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const size = { width: 560, height: 340 };
const dir = mkdtempSync(join(tmpdir(), 'weightscape-report-names-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const FLATNESS = join(root, 'reports/awp-fashion-mnist/pgd-at-flatness.json');

/** A 2D landscape (the demo's 1D filter landscape with three β rows) written under `name`. */
function twoD(name: string): string {
  const r = JSON.parse(readFileSync(join(root, 'fixtures/results/pgd-at-filter-landscape.json'), 'utf8'));
  r.settings.betas = r.grid.betas = [-1, 0, 1];
  r.settings.directions = ['filter', 'filter'];
  r.directions = [r.directions[0], { ...r.directions[0], seed: 2 }];
  for (const t of ['cleanLoss', 'cleanAccuracy', 'robustLoss', 'robustAccuracy'])
    r.values[t] = [-1, 0, 1].map((b) => r.values[t][0].map((v: number) => v + Math.abs(b)));
  r.flatness = null;
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(r));
  return path;
}

test('report <flatness.json> alone: index.html with a table of its measures and its settings', () => {
  const result = JSON.parse(readFileSync(FLATNESS, 'utf8'));
  const { files } = buildReport(readReportInputs([FLATNESS]), size);
  assert.deepEqual(Object.keys(files), ['index.html']);
  const html = files['index.html']!;
  for (const kind of ['clean', 'adversarial']) {
    const m = result[kind];
    const cells = [
      'pgd-at-flatness',
      kind,
      m.atTheta,
      m.averageIncrease,
      m.maxIncrease,
      m.adversarialDirectionIncrease,
    ];
    assert.ok(
      html.includes(`<tr>${cells.map((c) => `<td>${typeof c === 'number' ? c.toFixed(4) : c}</td>`).join('')}`),
      `${kind} row`,
    );
  }
  const s = result.settings;
  assert.ok(
    html.includes(
      `pgd-at-flatness: checkpoint plain/model.safetensors, ${s.directions} random directions at ρ = ${s.rho}, ` +
        `adversarial direction at ρ = ${s.rhoAdversarial}, attack ${s.attack}, data ${s.data} ${s.split}, ` +
        `subset ${s.subset}, seed ${s.seed}`,
    ),
    'settings in the caption',
  );
});

test('report: files named after their inputs (safe, unique), each figure captioned with its settings', () => {
  const inputs = [
    twoD('PGD-AT <2D> Landscape'),
    twoD('pgd-at 2d landscape'), // the same safe name: gets a suffix
    join(root, 'fixtures/results/pgd-at-filter-landscape.json'),
    join(root, 'fixtures/results/pgd-at-eval.json'),
    FLATNESS,
  ];
  const { files } = buildReport(readReportInputs(inputs), size);
  const svgs = Object.keys(files)
    .filter((f) => f.endsWith('.svg'))
    .sort();
  assert.deepEqual(svgs, [
    'combined.svg',
    'contour-pgd-at-2d-landscape-adversarial-2.svg',
    'contour-pgd-at-2d-landscape-adversarial.svg',
    'contour-pgd-at-2d-landscape-clean-2.svg',
    'contour-pgd-at-2d-landscape-clean.svg',
    'flatness-curves.svg',
    'gap-table.svg',
    'surface-pgd-at-2d-landscape-adversarial-2.svg',
    'surface-pgd-at-2d-landscape-adversarial.svg',
  ]);
  const html = files['index.html']!;
  const landscape = JSON.parse(readFileSync(join(root, 'fixtures/results/pgd-at-filter-landscape.json'), 'utf8'));
  const s = landscape.settings;
  const caption =
    `pgd-at-filter-landscape: checkpoint pgd-at/model.safetensors, direction filter, attack ${s.attack}, ` +
    `data ${s.data} ${s.split}, subset ${s.subset}, BatchNorm eval, seed ${s.seed}`;
  const figcaption = (file: string) =>
    html.match(new RegExp(`<img src="${file}"[^>]*><figcaption>(.*?)</figcaption>`))![1]!;
  assert.ok(figcaption('flatness-curves\\.svg').includes(caption), 'flatness-curves.svg caption');
  assert.ok(figcaption('combined\\.svg').includes(caption), 'combined.svg caption');
  assert.ok(
    figcaption('contour-pgd-at-2d-landscape-clean\\.svg').includes(
      'PGD-AT &lt;2D&gt; Landscape: checkpoint pgd-at/model.safetensors, direction filter × filter',
    ),
    'contour caption, label escaped',
  );
  const e = JSON.parse(readFileSync(join(root, 'fixtures/results/pgd-at-eval.json'), 'utf8'));
  assert.ok(
    figcaption('gap-table\\.svg').includes(
      `pgd-at-eval: attack ${e.attack}, data ${e.data.spec}, subset ${e.data.subset}`,
    ),
  );
});

test('report: a correlation result is drawn as scatter-<label>.svg, captioned with its measures and resampling', () => {
  const correlation = {
    schema: 'weightscape.correlation/1',
    x: 'adversarial.averageIncrease',
    y: 'gap.accuracy',
    points: [1, 2, 3].map((i) => ({ checkpoint: `c${i}`, sha256: `s${i}`, x: i, y: i * i })),
    coefficients: Object.fromEntries(
      ['pearson', 'spearman', 'kendall'].map((k) => [
        k,
        {
          value: 1,
          interval: { low: 1, high: 1, level: 0.95, resamples: 100, undefinedResamples: 0 },
          permutation: { pValue: 0.33, exact: true, permutations: 6 },
        },
      ]),
    ),
    settings: { resamples: 100, permutations: 6, seed: 3 },
    notes: [],
  };
  const path = join(dir, 'Flatness vs Gap.json');
  writeFileSync(path, JSON.stringify(correlation));
  const { files } = buildReport(readReportInputs([path]), size);
  assert.deepEqual(Object.keys(files).sort(), ['index.html', 'scatter-flatness-vs-gap.svg']);
  assert.ok(
    files['index.html']!.includes(
      'Flatness vs Gap: gap.accuracy against adversarial.averageIncrease over 3 checkpoints, 100 bootstrap resamples, 6 permutations, seed 3',
    ),
  );
});
