/**
 * Scatter plots of one measure against another across checkpoints, with the least-squares line and
 * lines of text under the axes (the correlation coefficients): from a correlation result, and
 * (scatterChartSvg) from any labelled, coloured points, as the study's flatness-against-gap panel.
 */
import * as d3 from 'd3';
import type { CorrelationResult } from '../results/correlation-schema.ts';
import { axes, createCanvas, PALETTE, pathData, round, chartTitle } from './svg-canvas.ts';
import type { ChartSize } from './flatness-curves.ts';

/** A coefficient to two decimals; "undefined" where it is (a constant measure), never NaN. */
const two = (v: number | null) => (v === null || !Number.isFinite(v) ? 'undefined' : v.toFixed(2));

export interface ScatterPoint {
  x: number;
  y: number;
  /** Shown beside the point when the chart labels points, and always as its tooltip. */
  label: string;
  colour: string;
}

export interface ScatterChart {
  title: string;
  xLabel: string;
  yLabel: string;
  points: ScatterPoint[];
  /** Lines of text under the chart (class `coefficients`). */
  footer: string[];
  /** Write each point's label beside it (not only in its tooltip). */
  labelPoints: boolean;
  /** Colour keys at the top right (e.g. one per run); none when empty. */
  legend: Array<{ label: string; colour: string }>;
}

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** A conservative width of one character of 10px text (no text measurement without a browser). */
const LABEL_CHAR_WIDTH = 6;

/**
 * Where a point's label goes: beside the point, above it, or moved up or down in steps until it
 * overlaps no label placed before (close points would otherwise print their labels on each other).
 */
function labelBox(text: string, cx: number, cy: number, right: boolean, placed: Box[]): Box {
  const width = text.length * LABEL_CHAR_WIDTH;
  const left = right ? cx - 6 - width : cx + 6;
  const at = (dy: number): Box => ({ left, right: left + width, top: cy + dy - 11, bottom: cy + dy });
  const overlaps = (b: Box) =>
    placed.some((o) => b.left < o.right && o.left < b.right && b.top < o.bottom && o.top < b.bottom);
  for (const dy of [-3, 11, -15, 23, -27, 35, -39, 47]) if (!overlaps(at(dy))) return at(dy);
  return at(-3);
}

/** A scatter chart of labelled points with its least-squares line. */
export function scatterChartSvg(chart: ScatterChart, { width, height }: ChartSize): string {
  const canvas = createCanvas(width, height, chart.title);
  const { svg } = canvas;
  const legendWidth = chart.legend.length === 0 ? 0 : 130;
  const bottom = 48 + 16 * Math.max(1, chart.footer.length);
  const frame = { left: 58, top: 28, width: width - 58 - 16 - legendWidth, height: height - 28 - bottom };
  const xs = chart.points.map((p) => p.x);
  const ys = chart.points.map((p) => p.y);
  const pad = (lo: number, hi: number) => [lo - 0.08 * (hi - lo || 1), hi + 0.08 * (hi - lo || 1)] as [number, number];
  const x = d3
    .scaleLinear()
    .domain(pad(Math.min(...xs), Math.max(...xs)))
    .range([0, frame.width])
    .nice();
  const y = d3
    .scaleLinear()
    .domain(pad(Math.min(...ys), Math.max(...ys)))
    .range([frame.height, 0])
    .nice();
  chartTitle(svg, chart.title);
  const g = axes(svg, frame, x, y, chart.xLabel, chart.yLabel);
  const mx = d3.mean(xs)!;
  const my = d3.mean(ys)!;
  const sxx = d3.sum(xs, (v) => (v - mx) ** 2);
  if (sxx > 0) {
    const slope = d3.sum(xs, (v, i) => (v - mx) * (ys[i]! - my)) / sxx;
    const [x0, x1] = x.domain() as [number, number];
    g.append('path')
      .attr('class', 'fit')
      .attr(
        'd',
        pathData([
          [x(x0), y(my + slope * (x0 - mx))],
          [x(x1), y(my + slope * (x1 - mx))],
        ]),
      )
      .attr('stroke', '#888')
      .attr('stroke-width', 1.5)
      .attr('stroke-dasharray', '5,3')
      .attr('fill', 'none');
  }
  const placed: Box[] = [];
  for (const p of chart.points) {
    const cx = x(p.x);
    const cy = y(p.y);
    g.append('circle')
      .attr('class', 'point')
      .attr('cx', round(cx))
      .attr('cy', round(cy))
      .attr('r', 4.5)
      .attr('fill', p.colour)
      .append('title')
      .text(`${p.label}: (${p.x}, ${p.y})`);
    if (!chart.labelPoints) continue;
    const text = p.label.length > 28 ? `${p.label.slice(0, 20)}…${p.label.slice(-6)}` : p.label;
    // Labels of points in the right half go to their left, so that none leaves the chart.
    const right = cx > frame.width / 2;
    const box = labelBox(text, cx, cy, right, placed);
    placed.push(box);
    const label = g
      .append('text')
      .attr('class', 'point-label')
      .attr('x', round(right ? box.right : box.left))
      .attr('y', round(box.bottom - 2))
      .attr('text-anchor', right ? 'end' : 'start')
      .attr('font-size', 10)
      .attr('fill', '#333')
      .text(text);
    if (text !== p.label) label.append('title').text(p.label);
  }
  chart.legend.forEach(({ label, colour }, i) => {
    const row = svg
      .append('g')
      .attr('class', 'legend')
      .attr('transform', `translate(${width - legendWidth + 8},${36 + i * 18})`);
    row.append('circle').attr('cx', 5).attr('cy', -4).attr('r', 4.5).attr('fill', colour);
    row
      .append('text')
      .attr('x', 16)
      .attr('fill', '#222')
      .text(label.length > 13 ? `${label.slice(0, 12)}…` : label)
      .append('title')
      .text(label);
  });
  chart.footer.forEach((line, i) => {
    svg
      .append('text')
      .attr('class', 'coefficients')
      .attr('x', 8)
      .attr('y', height - 10 - 16 * (chart.footer.length - 1 - i))
      .attr('fill', '#222')
      .text(line);
  });
  return canvas.serialize();
}

/** The scatter of a correlation result (`weightscape correlate`). */
const pValueText = (p: number | null) => (p === null ? 'undefined' : p.toPrecision(2));

export function scatterSvg(result: CorrelationResult, size: ChartSize): string {
  const c = result.coefficients;
  return scatterChartSvg(
    {
      title: `${result.y} against ${result.x}`,
      xLabel: result.x,
      yLabel: result.y,
      points: result.points.map((p) => ({ x: p.x, y: p.y, label: p.checkpoint, colour: PALETTE[0]! })),
      footer: [
        `n = ${result.points.length}   Pearson r = ${two(c.pearson.value)}   Spearman ρ = ${two(c.spearman.value)}   ` +
          `Kendall τ = ${two(c.kendall.value)} (p = ${pValueText(c.kendall.permutation.pValue)})`,
      ],
      labelPoints: false,
      legend: [],
    },
    size,
  );
}
