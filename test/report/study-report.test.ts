import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JSDOM } from 'jsdom';
import { buildReport, readReportInputs } from '../../src/report/build-report.ts';
import { evenlySpaced } from '../../src/report/epoch-landscapes.ts';
import { buildStudyReport } from '../../src/report/study-report.ts';
import { HOSTILE_RUN, syntheticStudy } from './study-fixture.ts';

const size = { width: 560, height: 340 };

function parseSvg(svg: string): Document {
  const doc = new new JSDOM('').window.DOMParser().parseFromString(svg, 'image/svg+xml');
  assert.equal(doc.getElementsByTagName('parsererror').length, 0, 'valid XML');
  return doc;
}

test('study report: the panels of Figure 1, one landscape figure per run, tables and index.html', () => {
  const { files } = buildStudyReport(syntheticStudy(), size);
  assert.deepEqual(Object.keys(files).sort(), [
    'flatness-vs-gap-adversarial-adversarialdirectionincrease.svg',
    'flatness-vs-gap.svg',
    'index.html',
    'landscape-by-epoch-awp-script-alert-1-script-co.svg',
    'landscape-by-epoch-pgd-at.svg',
    'robust-accuracy-by-epoch.svg',
    'study-correlations.csv',
    'study-correlations.md',
    'study-table.csv',
    'study-table.md',
    'study-table.svg',
  ]);
  const html = files['index.html']!;
  // Every figure shown, in the paper's order, each captioned with the study's settings.
  const shown = [...html.matchAll(/<img src="([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(shown, [
    'robust-accuracy-by-epoch.svg',
    'landscape-by-epoch-pgd-at.svg',
    'landscape-by-epoch-awp-script-alert-1-script-co.svg',
    'flatness-vs-gap.svg',
    'flatness-vs-gap-adversarial-adversarialdirectionincrease.svg',
    'study-table.svg',
  ]);
  assert.equal(html.match(/3 filter-normalized random directions at ρ = 1/g)!.length, 6 + 2);
  assert.ok(html.includes('attack pgd:linf:eps=0.1:steps=10') && html.includes('seed 5'));
  assert.ok(html.includes('gap on each split&#39;s class-stratified subset of 64'));
});

test('study report: robust accuracy per epoch, train dashed and test solid, per run', () => {
  const doc = parseSvg(buildStudyReport(syntheticStudy(), size).files['robust-accuracy-by-epoch.svg']!);
  assert.equal(doc.querySelectorAll('path.test').length, 2);
  // Epoch 1 has no train robust accuracy: the train curve starts at epoch 2, still one segment.
  assert.equal(doc.querySelectorAll('path.train').length, 2);
  assert.equal(doc.querySelector('path.train')!.getAttribute('stroke-dasharray'), '6,4');
  assert.equal(doc.querySelector('path.test')!.getAttribute('stroke-dasharray'), null);
  assert.equal(doc.querySelectorAll('circle.studied').length, 8 + 3);
});

test('study report: landscapes by epoch, at most 6 evenly spaced epochs, coloured by epoch', () => {
  assert.deepEqual(evenlySpaced([1, 2, 3, 4, 5, 6, 7, 8], 6), [1, 2, 4, 5, 7, 8]);
  const { files } = buildStudyReport(syntheticStudy(), size);
  const doc = parseSvg(files['landscape-by-epoch-pgd-at.svg']!);
  const epochs = [...doc.querySelectorAll('.legend text.epoch')].map((t) => t.firstChild!.textContent);
  assert.deepEqual(epochs, ['epoch 1', 'epoch 2', 'epoch 4', 'epoch 5', 'epoch 7', 'epoch 8']);
  // Two panels (random directions with a min–max band, the adversarial direction) of 6 curves each.
  assert.equal(doc.querySelectorAll('path.curve').length, 12);
  assert.equal(doc.querySelectorAll('path.band').length, 6);
  const colours = [...doc.querySelectorAll('.legend line')].map((l) => l.getAttribute('stroke'));
  assert.equal(new Set(colours).size, 6, 'one colour per epoch');
  assert.equal(colours[0], '#440154', 'viridis starts at dark purple');
  assert.equal(
    doc.querySelectorAll('circle.marker').length,
    6 * 5 + 6 * 3,
    'a marker at each sampled α (5 random, 3 AWP)',
  );
  const hostile = parseSvg(files['landscape-by-epoch-awp-script-alert-1-script-co.svg']!);
  assert.equal(hostile.querySelectorAll('path.curve').length, 6);
  assert.equal(
    [...hostile.querySelectorAll('.legend text.run-name')].map((t) => t.textContent!.replaceAll(' ', '')).join(''),
    'AWP<script>alert(1)</script>&"co"', // every character, on lines broken at spaces (dropped) or inside a long word
    'the run name wrapped, never cut',
  );
});

test('study report: the flatness-against-gap scatter has one labelled point per checkpoint, gap in points', () => {
  const study = syntheticStudy();
  const doc = parseSvg(buildStudyReport(study, size).files['flatness-vs-gap.svg']!);
  const points = [...doc.querySelectorAll('circle.point')];
  assert.equal(points.length, study.checkpoints.length);
  // The label shown (shortened when long, the whole label in its tooltip).
  const labels = [...doc.querySelectorAll('text.point-label')].map(
    (t) => t.querySelector('title')?.textContent ?? t.textContent,
  );
  assert.deepEqual(
    labels,
    study.checkpoints.map((c) => `${c.run}@${c.epoch}`),
  );
  assert.equal(labels[0], 'pgd-at@1');
  // The tooltip holds the exact numbers: x the measure, y the gap in points.
  const first = study.checkpoints[0]!;
  assert.equal(
    points[0]!.querySelector('title')!.textContent,
    `pgd-at@1: (${first.flatness.adversarial!.averageIncrease}, ${100 * first.gap!.accuracy})`,
  );
  assert.equal(new Set(points.map((p) => p.getAttribute('fill'))).size, 2, 'one colour per run');
  const footer = [...doc.querySelectorAll('.coefficients')].map((t) => t.textContent).join('\n');
  assert.match(footer, /n = 11 checkpoints; 95% bootstrap intervals; p-values from permutations/);
  assert.match(footer, /Pearson r = 0\.93, interval \[0\.81, 0\.98\], permutation p = 0\.0020/);
  assert.match(footer, /Spearman ρ = 0\.88, interval \[0\.60, 0\.97\], permutation p = 0\.0040/);
  assert.match(footer, /Kendall τ = 0\.71, interval \[0\.45, 0\.90\], permutation p = 0\.0010/);
  assert.equal(doc.querySelector('.y-label')!.textContent, 'Robust generalization gap (accuracy points)');
});

test("study report: the table's values are the study's numbers (csv exact, md and html rounded)", () => {
  const study = syntheticStudy();
  const { files } = buildStudyReport(study, size);
  const csv = files['study-table.csv']!.trim().split('\n');
  assert.equal(
    csv[0],
    'run,epoch,checkpoint,sha256,train_robust_accuracy,test_robust_accuracy,gap,adversarial.averageIncrease,adversarial.adversarialDirectionIncrease',
  );
  assert.equal(csv.length, 1 + study.checkpoints.length);
  study.checkpoints.forEach((c, i) => {
    const row = csv[i + 1]!;
    const cells = row.startsWith('"') ? row.slice(row.indexOf('",') + 2).split(',') : row.split(',').slice(1);
    assert.deepEqual(cells.slice(0, 1).concat(cells.slice(3).map(Number).map(String)), [
      String(c.epoch),
      String(c.train.robust!.accuracy),
      String(c.test.robust!.accuracy),
      String(c.gap!.accuracy),
      String(c.flatness.adversarial!.averageIncrease),
      String(c.flatness.adversarial!.adversarialDirectionIncrease),
    ]);
  });
  const c = study.checkpoints[7]!; // pgd-at@8: train 64.0%, test 30.4%, gap 33.6 points
  const cells = [
    'pgd-at',
    '8',
    '64.0%',
    '30.4%',
    '33.6',
    c.flatness.adversarial!.averageIncrease.toFixed(4),
    c.flatness.adversarial!.adversarialDirectionIncrease.toFixed(4),
  ];
  assert.ok(files['study-table.md']!.includes(`| ${cells.join(' | ')} |`));
  assert.ok(files['index.html']!.includes(`<tr>${cells.map((v) => `<td>${v}</td>`).join('')}</tr>`));
  const svgTexts = [...parseSvg(files['study-table.svg']!).querySelectorAll('.study-table text')].map(
    (t) => t.textContent,
  );
  for (const v of cells) assert.ok(svgTexts.includes(v), `${v} in study-table.svg`);
  // The correlations, with intervals and p-values, or the note where undefined.
  assert.ok(
    files['study-correlations.md']!.includes(
      '| all |  | adversarial.averageIncrease | 11 | 0.93 [0.81, 0.98], p = 0.0020 |',
    ),
  );
  assert.ok(files['index.html']!.includes('<td>only 2 runs: fewer than 3 checkpoints</td>'));
  assert.equal(
    files['study-correlations.csv']!.split('\n')[1]!.split(',').slice(0, 8).join(','),
    'all,,adversarial.averageIncrease,11,0.93,0.81,0.98,0.002',
  );
});

test('study report: a hostile run name is escaped everywhere, and the same study gives the same bytes', () => {
  const { files } = buildStudyReport(syntheticStudy(), size);
  for (const [name, content] of Object.entries(files)) {
    if (name.endsWith('.csv') || name.endsWith('.md')) continue;
    assert.ok(!content.includes('<script'), `${name}: run name escaped`);
  }
  assert.ok(files['index.html']!.includes('AWP &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;co&quot;'));
  assert.ok(files['index.html']!.includes('<li>a &lt;note&gt; &amp; more</li>'));
  assert.ok(files['flatness-vs-gap.svg']!.includes(`AWP &lt;script&gt;alert(1)&lt;/script&gt; &amp; "co"@2`));
  assert.ok(files['study-table.csv']!.includes(`"${HOSTILE_RUN.replace(/"/g, '""')}",2,`));
  assert.deepEqual(buildStudyReport(syntheticStudy(), size), { files });
});

test('report <study.json> renders the study; with other inputs, the study panels plus the rest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weightscape-study-report-'));
  try {
    const path = join(dir, 'study.json');
    writeFileSync(path, JSON.stringify(syntheticStudy()));
    const alone = buildReport(readReportInputs([path]), size).files;
    assert.deepEqual(alone, buildStudyReport(syntheticStudy(), size).files);
    const flatness = 'reports/awp-fashion-mnist/pgd-at-flatness.json';
    const both = buildReport(readReportInputs([flatness, path]), size).files;
    assert.deepEqual(Object.keys(both).sort(), Object.keys(alone).sort());
    assert.ok(both['index.html']!.includes('<h2>Flatness measures</h2>'));
    assert.ok(both['index.html']!.includes('<h2>Study: robust gap and flatness per checkpoint</h2>'));
    assert.throws(
      () => buildReport(readReportInputs([path, path]), size),
      /report: 2 study results given \(study, study\); give one study per report/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
