import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildReport, readReportInputs } from '../../src/report/build-report.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const demo = (name: string) => join(root, 'fixtures/results', name);
const dir = mkdtempSync(join(tmpdir(), 'weightscape-report-order-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const size = { width: 560, height: 340 };

/** A 2D landscape of the pgd-at checkpoint (its 1D filter landscape with three β rows). */
function twoD(): string {
  const r = JSON.parse(readFileSync(demo('pgd-at-filter-landscape.json'), 'utf8'));
  const betas = [-1, 0, 1];
  r.settings.directions = ['filter', 'filter'];
  r.settings.betas = betas;
  r.grid.betas = betas;
  r.directions = [r.directions[0], { ...r.directions[0], seed: 2 }];
  for (const t of ['cleanLoss', 'cleanAccuracy', 'robustLoss', 'robustAccuracy'])
    r.values[t] = betas.map((b) => r.values[t][0].map((v: number) => v + Math.abs(b)));
  r.flatness = null;
  const path = join(dir, 'pgd-at-2d-landscape.json');
  writeFileSync(path, JSON.stringify(r));
  return path;
}

const csvRow = (csv: string, label: string) => csv.split('\n').find((line) => line.startsWith(`${label},`));

test('report: the flatness column comes from 1D landscapes, names its measure, and no input order changes any output', () => {
  const oneD = [
    demo('pgd-at-eval.json'),
    demo('pgd-at-awp-eval.json'),
    demo('pgd-at-filter-landscape.json'),
    demo('pgd-at-awp-filter-landscape.json'),
    demo('pgd-at-adversarial-landscape.json'),
  ];
  const withTwoD = [...oneD, twoD()];
  const forward = buildReport(readReportInputs(withTwoD), size).files;
  const reversed = buildReport(readReportInputs([...withTwoD].reverse()), size).files;
  assert.deepEqual(Object.keys(reversed).sort(), Object.keys(forward).sort());
  for (const name of Object.keys(forward))
    assert.equal(reversed[name], forward[name], `${name} depends on the order of the inputs`);
  const csv = forward['gap-table.csv']!;
  // pgd-at has two 1D measures (filter, ρ = 1 and adversarial, ρ = 0.2): the column holds the filter one, for both
  // checkpoints.
  assert.equal(
    csv.split('\n')[0],
    'model,train_robust_accuracy_fraction,test_robust_accuracy_fraction,gap_fraction,test_clean_accuracy_fraction,' +
      '"flatness (adv. loss, filter, ρ = 1)",flatness_note,source',
  );
  assert.equal(csvRow(csv, 'pgd-at-eval')!.split(',')[5], '3.7354351043701173');
  assert.equal(csvRow(csv, 'pgd-at-awp-eval')!.split(',')[5], '2.8972090148925784');
  // The 2D landscape of the same checkpoint changes no figure of the column.
  assert.equal(buildReport(readReportInputs(oneD), size).files['gap-table.csv'], csv);
  assert.match(forward['gap-table.md']!, /\| flatness \(adv\. loss, filter, ρ = 1\) \|/);
  assert.match(
    forward['gap-table.svg']!,
    new RegExp(
      '>flatness: max increase, adv\\. loss, filter, ρ = 1<title>' +
        'flatness: max increase of the adversarial loss from α = 0 to ±1 along a filter direction</title>',
    ),
  );
});

test('report: a value that did not converge is marked as such in the gap table (svg, md, csv) and in index.html', () => {
  const landscape = JSON.parse(readFileSync(demo('pgd-at-filter-landscape.json'), 'utf8'));
  landscape.settings.directions = ['hessian'];
  landscape.directions = [
    {
      spec: 'hessian',
      normalization: 'filter',
      includeBn: false,
      seed: 0,
      eigenvalue: 3.2,
      iterations: 20,
      converged: false,
    },
  ];
  const landscapePath = join(dir, 'pgd-at-hessian-landscape.json');
  writeFileSync(landscapePath, JSON.stringify(landscape));
  const flatness = JSON.parse(readFileSync(join(root, 'reports/awp-fashion-mnist/pgd-at-flatness.json'), 'utf8'));
  Object.assign(flatness.clean, { hessianTopEigenvalue: 12.5, hessianConverged: false });
  Object.assign(flatness.adversarial, { hessianTopEigenvalue: 30.25, hessianConverged: true });
  const flatnessPath = join(dir, 'pgd-at-flatness.json');
  writeFileSync(flatnessPath, JSON.stringify(flatness));
  const { files } = buildReport(readReportInputs([demo('pgd-at-eval.json'), landscapePath, flatnessPath]), size);
  assert.match(
    files['gap-table.md']!,
    /\| pgd-at-eval \| [^|]+ \| [^|]+ \| [^|]+ \| [^|]+ \| 3\.735 \(not converged\) \|/,
  );
  assert.equal(
    csvRow(files['gap-table.csv']!, 'pgd-at-eval')!.split(',').slice(5).join(','),
    '3.7354351043701173,not converged,eval result',
  );
  assert.ok(
    files['gap-table.svg']!.includes('>3.735†<') && files['gap-table.svg']!.includes('>† not converged<'),
    'svg: a dagger and its footnote',
  );
  const html = files['index.html']!;
  assert.ok(html.includes('<td>3.735 (not converged)</td>'), 'gap table in index.html');
  assert.ok(html.includes('<td>hessian (not converged)</td>'), 'landscape flatness table');
  assert.ok(
    html.includes('<td>12.5000 (not converged)</td>') && html.includes('<td>30.2500</td>'),
    'flatness results table',
  );
});
