/**
 * `report --text-as-paths`: no <text> is left, each becomes one path carrying its words, placed where
 * the text was (start, middle and end anchors, tspans), in the text's colours.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { JSDOM } from 'jsdom';
import { buildReport, readReportInputs } from '../../src/report/build-report.ts';
import { textAsPaths } from '../../src/report/text-as-paths.ts';

const results = fileURLToPath(new URL('../../fixtures/results/', import.meta.url));
const parse = (svg: string) => new JSDOM(svg, { contentType: 'image/svg+xml' }).window.document;

/** The bounding box of a path's points (every coordinate pair of its data: glyph outlines are M/L/Q/C). */
function box(d: string): { left: number; right: number; top: number; bottom: number } {
  const values = (d.match(/-?\d+(\.\d+)?/g) ?? []).map(Number);
  const xs = values.filter((_, i) => i % 2 === 0);
  const ys = values.filter((_, i) => i % 2 === 1);
  return { left: Math.min(...xs), right: Math.max(...xs), top: Math.min(...ys), bottom: Math.max(...ys) };
}

test('text as paths: every text of a report becomes a path with its words, where the text was', () => {
  const inputs = readReportInputs([`${results}pgd-at-filter-landscape.json`, `${results}pgd-at-eval.json`]);
  const plain = buildReport(inputs, { width: 560, height: 340 }).files;
  const outlined = buildReport(inputs, { width: 560, height: 340 }, { textAsPaths: true }).files;
  const svgs = Object.keys(plain).filter((f) => f.endsWith('.svg'));
  assert.ok(svgs.length >= 2);
  for (const file of svgs) {
    // The words shown, not a shortened label's <title> tooltip (which moves into the path).
    const shown = (t: Element) => [...t.childNodes].map((n) => (n.nodeName === 'title' ? '' : n.textContent)).join('');
    const before = [...parse(plain[file]!).querySelectorAll('text')].map(shown);
    const after = parse(outlined[file]!);
    assert.equal(after.querySelectorAll('text').length, 0, `${file}: no text left`);
    const labels = [...after.querySelectorAll('path[aria-label]')].map((p) => p.getAttribute('aria-label'));
    assert.deepEqual(labels, before, `${file}: one path per text, in order`);
    const tooltips = (doc: Document) => [...doc.querySelectorAll('title')].map((t) => t.textContent);
    assert.deepEqual(tooltips(after), tooltips(parse(plain[file]!)), `${file}: tooltips kept`);
  }
});

test('text as paths: anchors, tspans, bold and colour', () => {
  const svg =
    '<svg xmlns="http://www.w3.org/2000/svg" font-size="12"><g fill="#123456">' +
    '<text x="100" y="50" text-anchor="end">1.25</text>' +
    '<text x="200" y="50" text-anchor="middle" font-weight="bold" class="t">Title</text>' +
    '<text x="10" y="80"><tspan x="10" dy="0">first</tspan><tspan x="10" dy="15">second</tspan></text>' +
    '</g></svg>';
  const doc = parse(textAsPaths(svg));
  const [end, middle, spans] = [...doc.querySelectorAll('path')];
  const e = box(end!.getAttribute('d')!);
  assert.ok(e.right <= 100 && e.right > 98, `end anchor: right edge ${e.right} at x = 100`);
  assert.ok(
    Math.abs(e.bottom - 50) < 0.5 && e.top > 50 - 12,
    `digits sit on the baseline y = 50 (${e.top}–${e.bottom})`,
  );
  const m = box(middle!.getAttribute('d')!);
  assert.ok(Math.abs((m.left + m.right) / 2 - 200) < 1.5, `middle anchor centred on 200: ${m.left}–${m.right}`);
  assert.equal(middle!.getAttribute('class'), 't');
  // Bold DejaVu is wider than regular: the same word outlined regular is narrower.
  const regular = box(
    parse(textAsPaths(svg.replace(' font-weight="bold"', '')))
      .querySelectorAll('path')[1]!
      .getAttribute('d')!,
  );
  assert.ok(m.right - m.left > regular.right - regular.left + 1);
  const s = box(spans!.getAttribute('d')!);
  assert.ok(s.left >= 10 && s.left < 12 && s.bottom > 94 && s.bottom < 99, `two lines, 15 apart: ${s.top}–${s.bottom}`);
  assert.equal(spans!.getAttribute('aria-label'), 'firstsecond');
  // The colour comes from the group, as the text's did.
  assert.equal(end!.getAttribute('fill'), null);
  assert.equal(end!.parentElement!.getAttribute('fill'), '#123456');
});
