/**
 * The study's gap-and-flatness table (per checkpoint: run, epoch, train and test robust accuracy,
 * gap in points, each flatness measure) as SVG, Markdown, CSV and HTML, and the table of its
 * correlations (scope, run, measure, coefficients with bootstrap intervals and p-values, or the
 * note where a coefficient is undefined).
 */
import type { CoefficientResult } from '../results/correlation-schema.ts';
import type { StudyCorrelation } from '../results/study-schema.ts';
import { escapeHtml } from './escape-html.ts';
import { htmlRow, htmlTable } from './index-html.ts';
import type { StudyRow } from './study-rows.ts';
import { chartTitle, createCanvas } from './svg-canvas.ts';
import { drawSvgTable, SVG_TABLE_CHAR_WIDTH, SVG_TABLE_ROW_HEIGHT } from './svg-table.ts';

const pct = (v: number | null) => (v === null ? '–' : `${(100 * v).toFixed(1)}%`);
const points = (v: number | null) => (v === null ? '–' : (100 * v).toFixed(1));
const measure = (v: number | null) => (v === null ? '–' : v.toFixed(4));
const mdEscape = (s: string) => s.replace(/\|/g, '\\|');
const csvQuote = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

const headers = (measures: string[]) => ['run', 'epoch', 'train robust', 'test robust', 'gap (pts)', ...measures];

function cells(row: StudyRow): string[] {
  return [
    row.run ?? row.label,
    row.epoch === null ? '–' : String(row.epoch),
    pct(row.trainRobust),
    pct(row.testRobust),
    points(row.gap),
    ...row.measures.map(measure),
  ];
}

/** The table in Markdown. */
export function studyTableMarkdown(rows: StudyRow[], measures: string[]): string {
  const h = headers(measures);
  return `${[
    `| ${h.map(mdEscape).join(' | ')} |`,
    `| ${h.map((_, i) => (i < 2 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${cells(r).map(mdEscape).join(' | ')} |`),
  ].join('\n')}\n`;
}

/** The table in CSV, with the study's numbers unrounded (accuracies and gap as fractions). */
export function studyTableCsv(rows: StudyRow[], measures: string[]): string {
  const header = [
    'run',
    'epoch',
    'checkpoint',
    'sha256',
    'train_robust_accuracy',
    'test_robust_accuracy',
    'gap',
    ...measures,
  ];
  const value = (v: number | null) => (v === null ? '' : String(v));
  return `${[
    header.map(csvQuote).join(','),
    ...rows.map((r) =>
      [
        csvQuote(r.run ?? ''),
        r.epoch === null ? '' : String(r.epoch),
        csvQuote(r.checkpoint),
        r.sha256,
        value(r.trainRobust),
        value(r.testRobust),
        value(r.gap),
        ...r.measures.map(value),
      ].join(','),
    ),
  ].join('\n')}\n`;
}

/** The table in HTML (escaped). */
export function studyTableHtml(rows: StudyRow[], measures: string[], caption: string[]): string {
  return htmlTable(
    headers(measures),
    rows.map((r) => htmlRow(cells(r))),
    caption,
  );
}

/** The table as an SVG figure: numbers right-aligned, measure headers on two lines (`adversarial` / `maxIncrease`). */
export function studyTableSvg(rows: StudyRow[], measures: string[], minWidth: number): string {
  const headerLines = headers(measures).map((h, i): [string, string] => {
    if (i >= 5) {
      const dot = h.lastIndexOf('.');
      return dot < 0 ? [h, ''] : [h.slice(0, dot), h.slice(dot + 1)];
    }
    const space = h.indexOf(' ');
    return space < 0 ? [h, ''] : [h.slice(0, space), h.slice(space + 1)];
  });
  const runChars = Math.min(22, Math.max(4, ...rows.map((r) => cells(r)[0]!.length)));
  const widths = headerLines.map((lines, i) =>
    i === 0
      ? runChars * SVG_TABLE_CHAR_WIDTH + 16
      : Math.max(64, Math.max(...lines.map((l) => l.length)) * SVG_TABLE_CHAR_WIDTH + 16),
  );
  const tableWidth = widths.reduce((a, b) => a + b, 0);
  const width = Math.max(minWidth, tableWidth + 24);
  const height = 50 + (rows.length + 2) * SVG_TABLE_ROW_HEIGHT;
  const canvas = createCanvas(width, height, 'Robust generalization gap and flatness per checkpoint');
  const g = canvas.svg.append('g').attr('class', 'study-table').attr('transform', 'translate(12,4)');
  chartTitle(g, 'Robust generalization gap and flatness per checkpoint', 0, 16);
  drawSvgTable(g, headerLines, rows.map(cells), {
    widths,
    width: tableWidth,
    leftAligned: 2,
    rightInset: 8,
    firstColumnChars: runChars,
  });
  return canvas.serialize();
}

const two = (v: number | null) => (v === null ? 'undefined' : v.toFixed(2));

/** A coefficient as `0.81 [0.52, 0.95], p = 0.002`, with "undefined" where a number is. */
export function coefficientText(c: CoefficientResult): string {
  const p = c.permutation.pValue === null ? 'undefined' : c.permutation.pValue.toPrecision(2);
  return `${two(c.value)} [${two(c.interval.low)}, ${two(c.interval.high)}], p = ${p}`;
}

const CORRELATION_HEADERS = ['scope', 'run', 'measure', 'n', 'Pearson r', 'Spearman ρ', 'Kendall τ', 'note'];

function correlationCells(c: StudyCorrelation): string[] {
  const r = c.result;
  const notes = [...(c.note === null ? [] : [c.note]), ...(r?.notes ?? [])].join(' ');
  if (r === null) return [c.scope, c.run ?? '', c.measure, '–', '–', '–', '–', notes];
  const k = r.coefficients;
  return [
    c.scope,
    c.run ?? '',
    c.measure,
    String(r.points.length),
    coefficientText(k.pearson),
    coefficientText(k.spearman),
    coefficientText(k.kendall),
    notes,
  ];
}

/** The correlations in HTML, with a caption saying what the intervals and p-values are. */
export function correlationsHtml(correlations: StudyCorrelation[], caption: string[]): string {
  return htmlTable(
    CORRELATION_HEADERS,
    correlations.map((c) => htmlRow(correlationCells(c))),
    caption,
  );
}

/** The correlations in Markdown. */
export function correlationsMarkdown(correlations: StudyCorrelation[]): string {
  return `${[
    `| ${CORRELATION_HEADERS.join(' | ')} |`,
    `| ${CORRELATION_HEADERS.map((_, i) => (i === 3 ? '---:' : '---')).join(' | ')} |`,
    ...correlations.map((c) => `| ${correlationCells(c).map(mdEscape).join(' | ')} |`),
  ].join('\n')}\n`;
}

/** The correlations in CSV, numbers unrounded (empty where undefined). */
export function correlationsCsv(correlations: StudyCorrelation[]): string {
  const coefficientNames = ['pearson', 'spearman', 'kendall'] as const;
  const header = [
    'scope',
    'run',
    'measure',
    'n',
    ...coefficientNames.flatMap((n) => [n, `${n}_low`, `${n}_high`, `${n}_p`]),
    'note',
  ];
  const value = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(v));
  return `${[
    header.join(','),
    ...correlations.map((c) => {
      const k = c.result?.coefficients;
      return [
        c.scope,
        csvQuote(c.run ?? ''),
        csvQuote(c.measure),
        c.result === null ? '' : String(c.result.points.length),
        ...coefficientNames.flatMap((n) => [
          value(k?.[n].value),
          value(k?.[n].interval.low),
          value(k?.[n].interval.high),
          value(k?.[n].permutation.pValue),
        ]),
        csvQuote(c.note ?? ''),
      ].join(',');
    }),
  ].join('\n')}\n`;
}

/** Escaped `<h2>` section heading. */
export const heading = (text: string) => `<h2>${escapeHtml(text)}</h2>`;
