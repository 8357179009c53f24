/**
 * Scatter plots of one measure against another across checkpoints, with the least-squares line and
 * lines of text under the axes (the correlation coefficients): from a correlation result, and
 * (scatterChartSvg) from any labelled, coloured points, as the study's flatness-against-gap panel.
 */
import * as d3 from 'd3';
import type { CoefficientResult, CorrelationResult } from '../results/correlation-schema.ts';
import { axes, createCanvas, PALETTE, pathData, round, chartTitle, textWidth, yLabelX } from './svg-canvas.ts';
import { wrapText, type ChartSize } from './flatness-curves.ts';
import { inPoints, measureLabel } from './measure-labels.ts';

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

const LINE_HEIGHT = 14;

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
  const xs = chart.points.map((p) => p.x);
  const ys = chart.points.map((p) => p.y);
  const pad = (lo: number, hi: number) => [lo - 0.08 * (hi - lo || 1), hi + 0.08 * (hi - lo || 1)] as [number, number];
  const x = d3
    .scaleLinear()
    .domain(pad(Math.min(...xs), Math.max(...xs)))
    .nice();
  const y = d3
    .scaleLinear()
    .domain(pad(Math.min(...ys), Math.max(...ys)))
    .nice();
  // The y label left of the widest tick label, and the frame moved right to make room for both.
  // A y label longer than the axis goes on two or more lines, the first furthest from the axis.
  const plotHeight = height - 28 - bottom;
  const yLines = wrapText(chart.yLabel, Math.max(8, Math.floor(plotHeight / textWidth('x'))));
  const labelAt = yLabelX(y) - LINE_HEIGHT * (yLines.length - 1);
  const left = Math.max(58, -labelAt + 14);
  const frame = { left, top: 28, width: width - left - 16 - legendWidth, height: plotHeight };
  y.range([frame.height, 0]);
  x.range([0, frame.width]);
  chartTitle(svg, chart.title);
  const g = axes(svg, frame, x, y, chart.xLabel, chart.yLabel, labelAt);
  if (yLines.length > 1) {
    // Each line but the last keeps its trailing space, so the label's text reads whole.
    const label = g.select('.y-label').text('');
    yLines.forEach((line, k) =>
      label
        .append('tspan')
        .attr('x', 0)
        .attr('dy', k === 0 ? 0 : LINE_HEIGHT)
        .text(k < yLines.length - 1 ? `${line} ` : line),
    );
  }
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
  // Names wrapped onto lines, never cut.
  let at = 36;
  chart.legend.forEach(({ label, colour }) => {
    const row = svg
      .append('g')
      .attr('class', 'legend')
      .attr('transform', `translate(${width - legendWidth + 8},${at})`);
    row.append('circle').attr('cx', 5).attr('cy', -4).attr('r', 4.5).attr('fill', colour);
    const lines = wrapText(label, 15);
    lines.forEach((line, k) =>
      row
        .append('text')
        .attr('x', 16)
        .attr('y', k * 15)
        .attr('fill', '#222')
        .text(line),
    );
    at += lines.length * 15 + 4;
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

/** A coefficient, its bootstrap interval and its permutation p-value, each named. */
function coefficientLine(name: string, c: CoefficientResult): string {
  const p = c.permutation.pValue === null ? 'undefined' : c.permutation.pValue.toPrecision(2);
  return `${name} = ${two(c.value)}, interval [${two(c.interval.low)}, ${two(c.interval.high)}], permutation p = ${p}`;
}

/** The lines under a scatter: n and what the intervals are, then Pearson, Spearman and Kendall on a line each. */
export function coefficientLines(
  coefficients: Record<'pearson' | 'spearman' | 'kendall', CoefficientResult>,
  n: number,
): string[] {
  const level = Math.round(100 * coefficients.pearson.interval.level);
  return [
    `n = ${n} checkpoints; ${level}% bootstrap intervals; p-values from permutations`,
    coefficientLine('Pearson r', coefficients.pearson),
    coefficientLine('Spearman ρ', coefficients.spearman),
    coefficientLine('Kendall τ', coefficients.kendall),
  ];
}

/** A point's name: `<run>@<epoch>` where the result carries them, else its checkpoint's path. */
function pointLabel(p: CorrelationResult['points'][number]): string {
  const { run, epoch } = p as { run?: unknown; epoch?: unknown };
  if (typeof run === 'string' && typeof epoch === 'number') return `${run}@${epoch}`;
  return p.checkpoint;
}

/**
 * The scatter of a correlation result (`weightscape correlate`): axes labelled by the measures'
 * descriptions (or --x-label/--y-label), accuracies in points as in the gap table, points named.
 */
export function scatterSvg(result: CorrelationResult, size: ChartSize): string {
  const xScale = inPoints(result.x) ? 100 : 1;
  const yScale = inPoints(result.y) ? 100 : 1;
  return scatterChartSvg(
    {
      title: `${result.y} against ${result.x}`,
      xLabel: size.xLabel ?? measureLabel(result.x),
      yLabel: size.yLabel ?? measureLabel(result.y),
      points: result.points.map((p) => ({
        x: xScale * p.x,
        y: yScale * p.y,
        label: pointLabel(p),
        colour: PALETTE[0]!,
      })),
      footer: coefficientLines(result.coefficients, result.points.length),
      labelPoints: true,
      legend: [],
    },
    size,
  );
}
