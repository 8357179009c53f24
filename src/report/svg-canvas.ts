/**
 * An SVG drawn with d3 in a jsdom document (no browser), serialized as standalone XML. Text goes
 * in through d3's .text() and attributes through .attr(), so every label from a file or a flag is
 * escaped by the serializer. A white background keeps charts readable in dark viewers.
 */
import { createRequire } from 'node:module';
import type * as Jsdom from 'jsdom';
import * as d3 from 'd3';

// jsdom takes about a second to load: it is loaded by the first canvas, so that commands that draw
// nothing (every CLI start, every test that spawns one) do not pay for it.
const requireModule = createRequire(import.meta.url);
let jsdomClass: typeof Jsdom.JSDOM | undefined;
const loadJsdom = (): typeof Jsdom.JSDOM => (jsdomClass ??= (requireModule('jsdom') as typeof Jsdom).JSDOM);

export type Svg = d3.Selection<SVGSVGElement, unknown, null, undefined>;

export interface Canvas {
  svg: Svg;
  serialize: () => string;
}

export const FONT = 'system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif';

export function createCanvas(width: number, height: number, title: string): Canvas {
  const JSDOM = loadJsdom();
  const dom = new JSDOM('<!DOCTYPE html><body></body>');
  const document = dom.window.document;
  const node = document.createElementNS('http://www.w3.org/2000/svg', 'svg') as unknown as SVGSVGElement;
  document.body.appendChild(node as unknown as Node);
  const svg = d3
    .select(node)
    .attr('xmlns', 'http://www.w3.org/2000/svg')
    .attr('width', width)
    .attr('height', height)
    .attr('viewBox', `0 0 ${width} ${height}`)
    .attr('font-family', FONT)
    .attr('font-size', 12);
  svg.append('title').text(title);
  svg.append('rect').attr('width', width).attr('height', height).attr('fill', '#ffffff');
  return {
    svg,
    serialize: () => `${new dom.window.XMLSerializer().serializeToString(node as unknown as Node)}\n`,
  };
}

/** A chart's bold title at (x, y) of `parent`. */
export function chartTitle<E extends d3.BaseType>(
  parent: d3.Selection<E, unknown, null, undefined>,
  text: string,
  x = 8,
  y = 16,
): void {
  parent
    .append('text')
    .attr('class', 'chart-title')
    .attr('x', x)
    .attr('y', y)
    .attr('font-weight', 'bold')
    .attr('fill', '#111')
    .text(text);
}

/** Okabe–Ito, distinguishable under the common colour-vision deficiencies. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];

/** Coordinates to 2 decimals: stable files, no float noise. */
export function round(value: number): number {
  return Math.round(value * 100) / 100;
}

export interface Frame {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** A conservative width of 12px text (no text measurement without a browser): wider than system-ui's digits. */
export function textWidth(text: string, fontSize = 12): number {
  return text.length * 0.62 * fontSize;
}

/**
 * Where the rotated y label goes (its x in the frame): left of the widest y tick label (ticks end at x = −8),
 * with room for the label's descenders; never nearer the axis than the usual −42.
 */
export function yLabelX(y: d3.ScaleContinuousNumeric<number, number>): number {
  const format = y.tickFormat(5);
  const widest = Math.max(0, ...y.ticks(5).map((t) => textWidth(format(t))));
  return -Math.max(42, round(8 + widest + 6));
}

/** Draws x and y axes with labels into a frame and returns the group to plot in (yLabelAt: the y label's x). */
export function axes(
  svg: Svg,
  frame: Frame,
  x: d3.ScaleLinear<number, number>,
  y: d3.ScaleContinuousNumeric<number, number>,
  xLabel: string,
  yLabel: string,
  yLabelAt = -42,
  options: { integerX?: boolean } = {},
) {
  const g = svg.append('g').attr('transform', `translate(${frame.left},${frame.top})`);
  const xAxis = g.append('g').attr('class', 'x-axis').attr('transform', `translate(0,${frame.height})`);
  const yAxis = g.append('g').attr('class', 'y-axis');
  xAxis.append('line').attr('x2', frame.width).attr('stroke', '#333');
  yAxis.append('line').attr('y2', frame.height).attr('stroke', '#333');
  // Whole-number axes (epochs) get whole-number ticks only.
  const xTicks = options.integerX === true ? x.ticks(6).filter(Number.isInteger) : x.ticks(6);
  for (const tick of xTicks) {
    const px = round(x(tick));
    xAxis.append('line').attr('class', 'tick').attr('x1', px).attr('x2', px).attr('y2', 5).attr('stroke', '#333');
    xAxis
      .append('text')
      .attr('x', px)
      .attr('y', 18)
      .attr('text-anchor', 'middle')
      .attr('fill', '#222')
      .text(options.integerX === true ? String(tick) : x.tickFormat(6)(tick));
  }
  for (const tick of y.ticks(5)) {
    const py = round(y(tick));
    yAxis.append('line').attr('class', 'tick').attr('y1', py).attr('y2', py).attr('x2', -5).attr('stroke', '#333');
    yAxis.append('line').attr('y1', py).attr('y2', py).attr('x2', frame.width).attr('stroke', '#e5e5e5');
    yAxis
      .append('text')
      .attr('x', -8)
      .attr('y', py + 4)
      .attr('text-anchor', 'end')
      .attr('fill', '#222')
      .text(y.tickFormat(5)(tick));
  }
  g.append('text')
    .attr('class', 'x-label')
    .attr('x', frame.width / 2)
    .attr('y', frame.height + 36)
    .attr('text-anchor', 'middle')
    .attr('fill', '#222')
    .text(xLabel);
  g.append('text')
    .attr('class', 'y-label')
    .attr('transform', `translate(${yLabelAt},${frame.height / 2}) rotate(-90)`)
    .attr('text-anchor', 'middle')
    .attr('fill', '#222')
    .text(yLabel);
  return g;
}

/** A polyline path through points (already in pixels). */
export function pathData(points: Array<[number, number]>): string {
  return points.map(([px, py], i) => `${i === 0 ? 'M' : 'L'}${round(px)},${round(py)}`).join('');
}
