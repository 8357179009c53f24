/**
 * A table drawn as SVG text (no text measurement without a browser): two bold header lines, a rule,
 * then the rows; the first columns left-aligned, the rest right-aligned, the first column's text cut
 * to fit with the whole value in a tooltip. Shared by the gap table and the study table.
 */
import type * as d3 from 'd3';

/** A conservative width of one character at 12px. */
export const SVG_TABLE_CHAR_WIDTH = 7;
export const SVG_TABLE_ROW_HEIGHT = 22;

export interface SvgTableLayout {
  /** Each column's width in pixels. */
  widths: number[];
  /** The rule's length under the headers. */
  width: number;
  /** How many leading columns are left-aligned (text, not numbers). */
  leftAligned: number;
  /** Space between a right-aligned value and its column's right edge. */
  rightInset: number;
  /** The first column's text longer than this is cut with an ellipsis. */
  firstColumnChars: number;
}

/** Draws each column's two header lines, then the rows, into `g`, the first header line's baseline at y = 38. */
export function drawSvgTable<E extends d3.BaseType>(
  g: d3.Selection<E, unknown, null, undefined>,
  headers: Array<readonly [string, string]>,
  rows: string[][],
  { widths, width, leftAligned, rightInset, firstColumnChars }: SvgTableLayout,
): void {
  const headerLines = [0, 1].map((line) => headers.map((h) => h[line]!));
  [...headerLines, ...rows].forEach((values, r) => {
    const header = r < 2;
    const yPos = 38 + r * SVG_TABLE_ROW_HEIGHT - (r === 1 ? 6 : 0) - (header ? 0 : 6);
    if (r === 2)
      g.append('line')
        .attr('x2', width)
        .attr('y1', yPos - 15)
        .attr('y2', yPos - 15)
        .attr('stroke', '#333');
    let xPos = 0;
    values.forEach((value, c) => {
      const text = c === 0 && value.length > firstColumnChars ? `${value.slice(0, firstColumnChars - 1)}…` : value;
      const left = c < leftAligned;
      const cell = g
        .append('text')
        .attr('x', left ? xPos : xPos + widths[c]! - rightInset)
        .attr('y', yPos)
        .attr('text-anchor', left ? 'start' : 'end')
        .attr('font-weight', header ? 'bold' : 'normal')
        .attr('fill', '#222')
        .text(text);
      if (text !== value) cell.append('title').text(value);
      xPos += widths[c]!;
    });
  });
}
