/** The robust generalization gap table: as SVG (for figures), Markdown, CSV and HTML. */
import type { Svg } from './svg-canvas.ts';
import { createCanvas, chartTitle } from './svg-canvas.ts';
import { escapeHtml } from './escape-html.ts';
import { drawSvgTable, SVG_TABLE_CHAR_WIDTH, SVG_TABLE_ROW_HEIGHT } from './svg-table.ts';

export interface GapRow {
  label: string;
  trainRobustAccuracy: number;
  testRobustAccuracy: number;
  gap: number;
  testCleanAccuracy: number;
  /** The flatness measure the table names (see GapTableOptions); null when not measured. */
  flatness: number | null;
  /** Shown beside the number, e.g. 'not converged' for a measure along an unconverged Hessian direction. */
  flatnessNote?: string;
  /** Where the numbers come from: an eval result, or a run's training log at an epoch. */
  source: GapSource;
}

/**
 * An eval result (with, when a run's log also evaluated that checkpoint, the log's own gap, made on
 * its smaller per-epoch evaluation), or a training log's epoch.
 */
export type GapSource = { kind: 'eval'; log?: { epoch: number; gap: number } } | { kind: 'log'; epoch: number };

/** The source in words: long for tables a reader scans, short for the SVG's narrow column. */
export function sourceText(source: GapSource, short = false): string {
  if (source.kind === 'log') return short ? `log, ep. ${source.epoch}` : `training log, epoch ${source.epoch}`;
  if (source.log === undefined) return short ? 'eval' : 'eval result';
  return short
    ? 'eval (+log)'
    : `eval result (its training log's epoch ${source.log.epoch} row, on fewer images: gap ${(100 * source.log.gap).toFixed(1)} pts)`;
}

/** What the flatness column holds, in words: a short header and a sentence under the table. */
export interface FlatnessMeasure {
  header: string;
  description: string;
}

const HEADERS = ['model', 'train robust (%)', 'test robust (%)', 'gap (pts)', 'test clean (%)'];
const headers = (measure?: FlatnessMeasure) => [
  ...HEADERS,
  measure === undefined ? 'flatness' : `flatness (${measure.header})`,
  'source',
];
/** The SVG table's headers on two lines, so that narrow numeric columns hold them. */
const HEADER_LINES: Array<[string, string]> = [
  ['model', ''],
  ['% train', 'robust'],
  ['% test', 'robust'],
  ['gap', '(pts)'],
  ['% test', 'clean'],
  ['flat-', 'ness'],
  ['source', ''],
];
const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

function cells(row: GapRow, short = false): string[] {
  return [
    row.label,
    pct(row.trainRobustAccuracy),
    pct(row.testRobustAccuracy),
    (100 * row.gap).toFixed(1),
    pct(row.testCleanAccuracy),
    flatnessCell(row),
    sourceText(row.source, short),
  ];
}

function flatnessCell(row: GapRow): string {
  if (row.flatness === null) return '–';
  return row.flatnessNote === undefined ? row.flatness.toFixed(3) : `${row.flatness.toFixed(3)} (${row.flatnessNote})`;
}

export const GAP_TABLE_ROW_HEIGHT = SVG_TABLE_ROW_HEIGHT;

/** Draws the table at (left, top); with a measure, a line under it says what the flatness column is. */
export function drawGapTable(
  svg: Svg,
  rows: GapRow[],
  left: number,
  top: number,
  width: number,
  measure?: FlatnessMeasure,
): void {
  // Numbers are right-aligned in their columns; the model name gets what is left, truncated to fit.
  const columns = [0.27, 0.11, 0.11, 0.1, 0.11, 0.13, 0.17].map((f) => f * width);
  const nameChars = Math.max(6, Math.floor((columns[0]! - 8) / SVG_TABLE_CHAR_WIDTH));
  const g = svg.append('g').attr('class', 'gap-table').attr('transform', `translate(${left},${top})`);
  chartTitle(g, 'Robust generalization gap (train − test)', 0, 16);
  // A note (e.g. 'not converged') does not fit the narrow column: a dagger there, the note in a footnote.
  const svgCells = (row: GapRow) => {
    const shown = cells(row, true);
    return row.flatnessNote === undefined
      ? shown
      : [...shown.slice(0, 5), `${row.flatness?.toFixed(3) ?? '–'}†`, shown[6]!];
  };
  const notes = [...new Set(rows.flatMap((r) => (r.flatnessNote === undefined ? [] : [r.flatnessNote])))].sort();
  drawSvgTable(g, HEADER_LINES, rows.map(svgCells), {
    widths: columns,
    width,
    leftAligned: 1,
    rightInset: 4,
    firstColumnChars: nameChars,
  });
  // Footnotes in 11px text, cut to the table's width (the whole sentence in a tooltip).
  const footnotes = [
    ...(measure === undefined ? [] : [`flatness: max increase, ${measure.header}`]),
    ...notes.map((n) => `† ${n}`),
  ];
  const footChars = Math.max(10, Math.floor(width / ((SVG_TABLE_CHAR_WIDTH * 11) / 12)));
  footnotes.forEach((text, i) => {
    const shown = text.length > footChars ? `${text.slice(0, footChars - 1)}…` : text;
    const note = g
      .append('text')
      .attr('class', 'flatness-measure')
      .attr('x', 0)
      .attr('y', 38 + (rows.length + 2 + i) * GAP_TABLE_ROW_HEIGHT - 6)
      .attr('font-size', 11)
      .attr('fill', '#444')
      .text(shown);
    if (i === 0 && measure !== undefined) note.append('title').text(`flatness: ${measure.description}`);
  });
}

export function gapTableSvg(rows: GapRow[], width: number, measure?: FlatnessMeasure): string {
  const footnotes =
    (measure === undefined ? 0 : 1) +
    new Set(rows.flatMap((r) => (r.flatnessNote === undefined ? [] : [r.flatnessNote]))).size;
  const height = 50 + (rows.length + 2 + footnotes) * GAP_TABLE_ROW_HEIGHT;
  const canvas = createCanvas(width, height, 'Robust generalization gap');
  drawGapTable(canvas.svg, rows, 12, 4, width - 24, measure);
  return canvas.serialize();
}

export function gapTableMarkdown(rows: GapRow[], measure?: FlatnessMeasure): string {
  const escape = (s: string) => s.replace(/\|/g, '\\|');
  const h = headers(measure);
  return (
    [
      `| ${h.map(escape).join(' | ')} |`,
      `| ${h.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
      ...rows.map((r) => `| ${cells(r).map(escape).join(' | ')} |`),
    ].join('\n') + '\n'
  );
}

export function gapTableCsv(rows: GapRow[], measure?: FlatnessMeasure): string {
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const flatness = measure === undefined ? 'flatness' : quote(`flatness (${measure.header})`);
  // Accuracies and the gap as fractions (0–1), as computed; the other tables show percent and points.
  const header =
    'model,train_robust_accuracy_fraction,test_robust_accuracy_fraction,gap_fraction,test_clean_accuracy_fraction,' +
    `${flatness},flatness_note,source`;
  return (
    [
      header,
      ...rows.map((r) =>
        [
          quote(r.label),
          r.trainRobustAccuracy,
          r.testRobustAccuracy,
          r.gap,
          r.testCleanAccuracy,
          r.flatness ?? '',
          quote(r.flatnessNote ?? ''),
          quote(sourceText(r.source)),
        ].join(','),
      ),
    ].join('\n') + '\n'
  );
}

export function gapTableHtml(rows: GapRow[], measure?: FlatnessMeasure): string {
  const caption = measure === undefined ? '' : `<caption>flatness: ${escapeHtml(measure.description)}</caption>\n`;
  return `<table>\n${caption}<thead><tr>${headers(measure)
    .map((h) => `<th>${escapeHtml(h)}</th>`)
    .join('')}</tr></thead>\n<tbody>\n${rows
    .map(
      (r) =>
        `<tr>${cells(r)
          .map((c) => `<td>${escapeHtml(c)}</td>`)
          .join('')}</tr>`,
    )
    .join('\n')}\n</tbody>\n</table>`;
}
