/**
 * The top Hessian eigenvalue of each weight tensor (its Hessian block) as horizontal bars, in the
 * result's tensor order. Tensor names are never cut: a long one wraps after a '.', '_' or '/' (or,
 * without one, every so many characters) and the label margin grows to the longest line. A bar
 * whose eigenvalue did not converge is hatched, named so in the legend, and its value reads
 * "<value> (not converged)" in the value column.
 */
import * as d3 from 'd3';
import type { HessianLayer } from '../results/hessian-schema.ts';
import type { ChartSize } from './flatness-curves.ts';
import { fitText } from './hessian-density-chart.ts';
import { estimateText } from './hessian-format.ts';
import { chartTitle, createCanvas, PALETTE, round } from './svg-canvas.ts';

/** A conservative width of one character of 12px text (no text measurement without a browser). */
const CHAR_WIDTH = 7;
const LINE_HEIGHT = 14;
const BAR = PALETTE[0]!;

/**
 * `name` in lines of at most `chars` characters, broken after a separator where there is one;
 * the lines joined give the name back exactly.
 */
export function wrapName(name: string, chars: number): string[] {
  const width = Math.max(4, chars);
  const lines: string[] = [];
  let rest = name;
  while (rest.length > width) {
    const head = rest.slice(0, width);
    const cut = Math.max(head.lastIndexOf('.'), head.lastIndexOf('_'), head.lastIndexOf('/')) + 1;
    const at = cut > 0 ? cut : width;
    lines.push(rest.slice(0, at));
    rest = rest.slice(at);
  }
  return [...lines, rest];
}

/** The bar chart of per-tensor top eigenvalues; the chart grows wider than `size` when the names need it. */
export function layerBarsSvg(label: string, layers: HessianLayer[], size: ChartSize): string {
  // Names up to 45% of the requested width stay on one line; longer ones wrap.
  const labelChars = Math.max(12, Math.floor((0.45 * size.width) / CHAR_WIDTH));
  const names = layers.map((l) => wrapName(l.name, labelChars));
  const values = layers.map((l) => estimateText(l.topEigenvalue.value, l.topEigenvalue.converged));
  const labelWidth = Math.max(...names.flat().map((line) => line.length)) * CHAR_WIDTH + 12;
  const valueHeader = 'top eigenvalue';
  const valueWidth = Math.max(valueHeader.length, ...values.map((v) => v.length)) * CHAR_WIDTH + 12;
  const rowHeights = names.map((lines) => Math.max(22, lines.length * LINE_HEIGHT + 8));
  const anyNotConverged = layers.some((l) => !l.topEigenvalue.converged);
  const legendRows = anyNotConverged ? 2 : 1;
  const plotWidth = Math.max(160, size.width - 8 - labelWidth - valueWidth - 16);
  const width = 8 + labelWidth + plotWidth + valueWidth + 16;
  const top = 50;
  const plotHeight = d3.sum(rowHeights);
  const height = Math.max(size.height, top + plotHeight + 44 + 16 * legendRows + 8);
  const title = `Top Hessian eigenvalue per tensor: ${label}`;
  const canvas = createCanvas(width, height, title);
  const { svg } = canvas;
  svg
    .append('defs')
    .append('pattern')
    .attr('id', 'hatch')
    .attr('width', 6)
    .attr('height', 6)
    .attr('patternUnits', 'userSpaceOnUse')
    .attr('patternTransform', 'rotate(45)')
    .call((p) => p.append('rect').attr('width', 6).attr('height', 6).attr('fill', '#ffffff'))
    .append('line')
    .attr('y2', 6)
    .attr('stroke', BAR)
    .attr('stroke-width', 2.5);
  chartTitle(svg, fitText(title, Math.floor((width - 16) / CHAR_WIDTH)));
  const eigen = layers.map((l) => l.topEigenvalue.value);
  const x = d3
    .scaleLinear()
    .domain([Math.min(0, ...eigen), Math.max(0, ...eigen)])
    .range([0, plotWidth])
    .nice();
  const plotLeft = 8 + labelWidth;
  const g = svg.append('g').attr('class', 'bars').attr('transform', `translate(${plotLeft},${top})`);
  for (const tick of x.ticks(5)) {
    const px = round(x(tick));
    g.append('line').attr('x1', px).attr('x2', px).attr('y2', plotHeight).attr('stroke', '#e5e5e5');
    g.append('text')
      .attr('class', 'tick-label')
      .attr('x', px)
      .attr('y', plotHeight + 18)
      .attr('text-anchor', 'middle')
      .attr('fill', '#222')
      .text(x.tickFormat(5)(tick));
  }
  g.append('line').attr('x2', plotWidth).attr('y1', plotHeight).attr('y2', plotHeight).attr('stroke', '#333');
  g.append('text')
    .attr('class', 'x-label')
    .attr('x', plotWidth / 2)
    .attr('y', plotHeight + 36)
    .attr('text-anchor', 'middle')
    .attr('fill', '#222')
    .text("top eigenvalue of the tensor's Hessian block");
  svg
    .append('text')
    .attr('class', 'value-header')
    .attr('x', width - 16)
    .attr('y', top - 8)
    .attr('text-anchor', 'end')
    .attr('font-weight', 'bold')
    .attr('fill', '#222')
    .text(valueHeader);
  let rowTop = 0;
  layers.forEach((layer, i) => {
    const h = rowHeights[i]!;
    const { value, converged } = layer.topEigenvalue;
    const middle = rowTop + h / 2;
    const bar = g
      .append('rect')
      .attr('class', `bar${converged ? '' : ' not-converged'}`)
      .attr('x', round(x(Math.min(0, value))))
      .attr('y', round(middle - 7))
      .attr('width', round(Math.abs(x(value) - x(0))))
      .attr('height', 14)
      .attr('fill', converged ? BAR : 'url(#hatch)')
      .attr('stroke', BAR);
    bar.append('title').text(`${layer.name}: ${values[i]!}`);
    const lines = names[i]!;
    const text = svg
      .append('text')
      .attr('class', 'tensor-label')
      .attr('x', plotLeft - 8)
      .attr('text-anchor', 'end')
      .attr('fill', '#222');
    lines.forEach((line, j) =>
      text
        .append('tspan')
        .attr('x', plotLeft - 8)
        .attr('y', round(top + middle + 4 + (j - (lines.length - 1) / 2) * LINE_HEIGHT))
        .text(line),
    );
    svg
      .append('text')
      .attr('class', `value-label${converged ? '' : ' not-converged'}`)
      .attr('x', width - 16)
      .attr('y', round(top + middle + 4))
      .attr('text-anchor', 'end')
      .attr('fill', '#222')
      .text(values[i]!);
    rowTop += h;
  });
  g.append('line')
    .attr('x1', round(x(0)))
    .attr('x2', round(x(0)))
    .attr('y2', plotHeight)
    .attr('stroke', '#333');
  const legend = [
    { text: 'converged', fill: BAR },
    ...(anyNotConverged ? [{ text: 'not converged (an estimate)', fill: 'url(#hatch)' }] : []),
  ];
  legend.forEach(({ text, fill }, i) => {
    const item = svg
      .append('g')
      .attr('class', 'legend')
      .attr('transform', `translate(8,${height - 10 - 16 * (legend.length - 1 - i)})`);
    item.append('rect').attr('y', -11).attr('width', 22).attr('height', 11).attr('fill', fill).attr('stroke', BAR);
    item.append('text').attr('x', 28).attr('fill', '#222').text(text);
  });
  return canvas.serialize();
}
