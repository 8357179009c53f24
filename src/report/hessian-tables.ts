/**
 * A Hessian result's tables: the top eigenvalues (index, value, residual, converged) with the
 * trace under them, as SVG and HTML, and the per-tensor table (tensor, parameters, top eigenvalue,
 * residual, trace ± standard error) as HTML. A value that did not converge is written
 * "<value> (not converged)" in every cell (estimateText), never as a plain number.
 */
import type { HessianEigenvalue, HessianLayer, HessianResult } from '../results/hessian-schema.ts';
import { estimateText, residualText, traceLine, traceText, valueText } from './hessian-format.ts';
import { htmlRow, htmlTable } from './index-html.ts';
import { chartTitle, createCanvas } from './svg-canvas.ts';
import { drawSvgTable, SVG_TABLE_CHAR_WIDTH, SVG_TABLE_ROW_HEIGHT } from './svg-table.ts';

const EIGENVALUE_HEADERS: Array<readonly [string, string]> = [
  ['index', ''],
  ['eigenvalue', ''],
  ['relative', 'residual'],
  ['converged', ''],
];

/** One eigenvalue's cells: index, value (flagged when not converged), residual, yes / no. */
export function eigenvalueCells(e: HessianEigenvalue): string[] {
  return [String(e.index), estimateText(e.value, e.converged), residualText(e.residual), e.converged ? 'yes' : 'no'];
}

/** The eigenvalue table in HTML (escaped), with the trace and the given caption lines under it. */
export function eigenvalueTableHtml(result: HessianResult, caption: string[]): string {
  return htmlTable(
    EIGENVALUE_HEADERS.map((h) => h.filter(Boolean).join(' ')),
    result.eigenvalues.map((e) => htmlRow(eigenvalueCells(e))),
    caption,
  );
}

/** The eigenvalue table as an SVG figure, the trace (when measured) on a line under it. */
export function eigenvalueTableSvg(label: string, result: HessianResult, minWidth: number): string {
  const rows = result.eigenvalues.map(eigenvalueCells);
  const widths = EIGENVALUE_HEADERS.map((lines, c) =>
    Math.max(
      64,
      (Math.max(...lines.map((l) => l.length), ...rows.map((r) => r[c]!.length)) + 2) * SVG_TABLE_CHAR_WIDTH,
    ),
  );
  const tableWidth = widths.reduce((a, b) => a + b, 0);
  const trace = result.trace === null ? null : traceLine(result.trace);
  const title = `Top Hessian eigenvalues: ${label}`;
  const width = Math.max(
    minWidth,
    tableWidth + 24,
    (Math.max(title.length, trace?.length ?? 0) + 2) * SVG_TABLE_CHAR_WIDTH + 24,
  );
  const height = 50 + (rows.length + 2 + (trace === null ? 0 : 1)) * SVG_TABLE_ROW_HEIGHT;
  const canvas = createCanvas(width, height, title);
  const g = canvas.svg.append('g').attr('class', 'eigenvalue-table').attr('transform', 'translate(12,4)');
  chartTitle(g, title, 0, 16);
  drawSvgTable(g, EIGENVALUE_HEADERS, rows, {
    widths,
    width: tableWidth,
    leftAligned: 1,
    rightInset: 8,
    firstColumnChars: 8,
  });
  if (trace !== null)
    g.append('text')
      .attr('class', 'trace')
      .attr('x', 0)
      .attr('y', 38 + (rows.length + 2) * SVG_TABLE_ROW_HEIGHT - 6)
      .attr('fill', '#222')
      .text(trace);
  return canvas.serialize();
}

const LAYER_HEADERS = ['tensor', 'parameters', 'top eigenvalue', 'relative residual', 'iterations', 'trace ± SE'];

/** One tensor's cells: name, parameters, top eigenvalue (flagged when not converged), residual, iterations, trace. */
export function layerCells(layer: HessianLayer): string[] {
  const top = layer.topEigenvalue;
  return [
    layer.name,
    layer.parameters.toLocaleString('en-US'),
    estimateText(top.value, top.converged),
    residualText(top.residual),
    String(top.iterations),
    traceText(layer.trace),
  ];
}

/** The per-tensor table in HTML (escaped). */
export function layerTableHtml(layers: HessianLayer[], caption: string[]): string {
  return htmlTable(
    LAYER_HEADERS,
    layers.map((l) => htmlRow(layerCells(l))),
    caption,
  );
}

/** The sum of the per-tensor traces: the trace of the block-diagonal part (what the blocks account for). */
export function layerTraceSum(layers: HessianLayer[]): string | null {
  if (layers.length === 0 || layers.some((l) => l.trace === null)) return null;
  const sum = layers.reduce((s, l) => s + l.trace!.estimate, 0);
  const se = Math.sqrt(layers.reduce((s, l) => s + l.trace!.standardError ** 2, 0));
  return `${valueText(sum)} ± ${se.toPrecision(2)}`;
}
