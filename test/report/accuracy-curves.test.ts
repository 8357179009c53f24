/**
 * `report --accuracy-curves`: the 1D landscapes' clean and adversarial accuracy along α, in %, on a
 * fixed 0–100 axis, each marker at its landscape's value; a note instead when there is no 1D landscape.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { JSDOM } from 'jsdom';
import { buildReport, readReportInputs } from '../../src/report/build-report.ts';
import { assertGolden } from './golden.ts';

const results = fileURLToPath(new URL('../../fixtures/results/', import.meta.url));
const landscape = `${results}pgd-at-filter-landscape.json`;
const size = { width: 560, height: 340 };

test('accuracy curves: drawn on request only, y axis 0–100 %, every marker at its accuracy', () => {
  const inputs = readReportInputs([landscape]);
  assert.equal(buildReport(inputs, size).files['accuracy-curves.svg'], undefined, 'not drawn unless asked');
  const { files } = buildReport(inputs, size, { accuracyCurves: true });
  const svg = files['accuracy-curves.svg']!;
  assertGolden('accuracy-curves', svg);
  const doc = new JSDOM(svg, { contentType: 'image/svg+xml' }).window.document;
  assert.equal(doc.querySelector('.y-label')!.textContent, 'accuracy (%)');
  assert.match(doc.querySelector('title')!.textContent!, /^Accuracy along a filter-normalized random direction/);
  // The y axis runs from the tick labelled 0 to the one labelled 100: each marker sits at its accuracy.
  const tickAt = (label: string) => {
    const text = [...doc.querySelectorAll('.y-axis text')].find((t) => t.textContent === label);
    assert.ok(text, `a y tick labelled ${label}`);
    return Number(text.getAttribute('y')) - 4;
  };
  const [bottom, top] = [tickAt('0'), tickAt('100')];
  const result = JSON.parse(readFileSync(landscape, 'utf8'));
  const markers = [...doc.querySelectorAll('circle.marker')].map((c) => Number(c.getAttribute('cy')));
  const expected = [...result.values.cleanAccuracy[0], ...result.values.robustAccuracy[0]] as number[];
  assert.equal(markers.length, expected.length);
  expected.forEach((acc, i) => {
    const cy = bottom + acc * (top - bottom);
    assert.ok(Math.abs(markers[i]! - cy) <= 0.01, `marker ${i}: cy ${markers[i]}, expected ${cy} for ${acc}`);
  });
});

test('accuracy curves without a 1D landscape: a note, no figure', () => {
  const inputs = readReportInputs([`${results}pgd-at-eval.json`]);
  const { files, notes } = buildReport(inputs, size, { accuracyCurves: true });
  assert.equal(files['accuracy-curves.svg'], undefined);
  assert.ok(notes!.some((n) => n.startsWith('--accuracy-curves: no complete 1D landscape')));
});
