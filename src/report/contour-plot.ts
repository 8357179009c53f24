/**
 * 2D landscapes as filled contours (viridis, colour-blind safe) on log-spaced levels by default,
 * with level lines, a few level labels, markers at θ and at an interpolation's other checkpoint,
 * and a colour bar with the level values. Equal α and β ranges give a square plot.
 */
import { basename } from 'node:path';
import * as d3 from 'd3';
import type { LandscapeResult } from '../results/landscape-schema.ts';
import { COLOUR_BAR_WIDTH, drawColourBar } from './colour-bar.ts';
import { contourLevels, levelLabels, type ContourOptions } from './contour-levels.ts';
import { axes, createCanvas, round, chartTitle, type Frame } from './svg-canvas.ts';
import type { ChartSize } from './flatness-curves.ts';

const MARGIN = { left: 58, top: 28, bottom: 48, right: 12 };
/** Room right of the frame for the colour bar and its labels. */
const BAR_AREA = 24 + COLOUR_BAR_WIDTH + 52;
/** More elongated ranges are drawn at this aspect ratio, so that the plot never becomes a sliver. */
const MAX_ASPECT = 3;

/** The plotting frame: α and β at the same scale (square for equal ranges), as large as the chart allows. */
export function contourFrame(alphaRange: number, betaRange: number, { width, height }: ChartSize): Frame {
  const availableWidth = width - MARGIN.left - BAR_AREA - MARGIN.right;
  const availableHeight = height - MARGIN.top - MARGIN.bottom;
  const ratio = alphaRange > 0 && betaRange > 0 ? alphaRange / betaRange : 1;
  const aspect = Math.min(MAX_ASPECT, Math.max(1 / MAX_ASPECT, ratio));
  const frameWidth = Math.floor(Math.min(availableWidth, availableHeight * aspect));
  const frameHeight = Math.floor(frameWidth / aspect);
  // Centred in the room left beside the colour bar.
  const left = MARGIN.left + Math.floor((availableWidth - frameWidth) / 2);
  return { left, top: MARGIN.top, width: frameWidth, height: frameHeight };
}

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

const overlaps = (a: Box, b: Box) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
/** A conservative box for 10–11 px text drawn with its baseline at y (no layout engine here). */
const textBox = (x: number, y: number, text: string, anchor: 'start' | 'middle' | 'end'): Box => {
  const w = text.length * 6.5 + 4;
  const x0 = anchor === 'start' ? x : anchor === 'end' ? x - w : x - w / 2;
  return { x0, y0: y - 11, x1: x0 + w, y1: y + 3 };
};

/** Points at α, β marked on the plot: θ, and the other checkpoint of an interpolate: direction. */
function markers(result: LandscapeResult): Array<{ alpha: number; beta: number; label: string; kind: string }> {
  const list = [{ alpha: 0, beta: 0, label: 'θ', kind: 'theta' }];
  result.directions?.slice(0, 2).forEach((d, i) => {
    if (d.spec.startsWith('interpolate:')) {
      const other = basename(d.spec.slice('interpolate:'.length));
      list.push({ alpha: i === 0 ? 1 : 0, beta: i === 0 ? 0 : 1, label: other, kind: 'checkpoint' });
    }
  });
  return list;
}

/** The filled-contour SVG of one table of a 2D landscape. */
export function contourSvg(
  result: LandscapeResult,
  size: ChartSize,
  title: string,
  table: 'cleanLoss' | 'robustLoss' = 'cleanLoss',
  options: ContourOptions = {},
): string {
  const alphas = result.grid.alphas;
  const betas = result.grid.betas!;
  const values = result.values[table]!.flat().map((v) => v ?? NaN);
  const finite = values.filter(Number.isFinite);
  const levels = contourLevels(finite, options);
  const [a0, a1] = [alphas[0]!, alphas.at(-1)!];
  const [b0, b1] = [betas[0]!, betas.at(-1)!];
  const frame = contourFrame(Math.abs(a1 - a0), Math.abs(b1 - b0), size);
  // A wide plot leaves no empty band below it: the chart ends below the axis label.
  const canvas = createCanvas(size.width, Math.min(size.height, MARGIN.top + frame.height + MARGIN.bottom), title);
  const { svg } = canvas;
  const x = d3.scaleLinear().domain([a0, a1]).range([0, frame.width]);
  const y = d3.scaleLinear().domain([b0, b1]).range([frame.height, 0]);
  chartTitle(svg, title);
  const g = axes(svg, frame, x, y, 'α (first direction)', 'β (second direction)');
  g.attr('class', 'plot-frame').attr('data-width', frame.width).attr('data-height', frame.height);
  // Contour k is the region at or above level k; the first starts at the grid's minimum (or below),
  // so that every cell is coloured and values under --vmin get the first colour.
  const thresholds = [Math.min(levels.values[0]!, Math.min(...finite)), ...levels.values.slice(1)];
  const contours = d3.contours().size([alphas.length, betas.length]).thresholds(thresholds)(values);
  // d3.contours puts value i at grid coordinate i + 0.5; map that onto α and β.
  const gx = d3
    .scaleLinear()
    .domain([0.5, alphas.length - 0.5])
    .range([0, frame.width]);
  const gy = d3
    .scaleLinear()
    .domain([0.5, betas.length - 0.5])
    .range([frame.height, 0]);
  const path = d3.geoPath(
    d3.geoTransform({
      point(px, py) {
        this.stream.point(round(gx(px)), round(gy(py)));
      },
    }),
  );
  const clip = `clip-${alphas.length}x${betas.length}`;
  svg
    .append('defs')
    .append('clipPath')
    .attr('id', clip)
    .append('rect')
    .attr('width', frame.width)
    .attr('height', frame.height);
  const plot = g.append('g').attr('clip-path', `url(#${clip})`);
  plot
    .selectAll('path.contour')
    .data(contours)
    .join('path')
    .attr('class', 'contour')
    .attr('d', (c) => path(c) ?? '')
    .attr('fill', (_, k) => levels.colour(k));
  // Level lines (the borders of the filled regions; the frame's edge is clipped away).
  plot
    .selectAll('path.level-line')
    .data(contours.slice(1))
    .join('path')
    .attr('class', 'level-line')
    .attr('d', (c) => path(c) ?? '')
    .attr('fill', 'none')
    .attr('stroke', '#ffffff')
    .attr('stroke-opacity', 0.55)
    .attr('stroke-width', 0.6);
  const occupied: Box[] = [];
  const halo = <E extends d3.BaseType>(text: d3.Selection<E, unknown, null, undefined>) =>
    text.attr('stroke', '#ffffff').attr('stroke-width', 3).attr('paint-order', 'stroke').attr('fill', '#111');
  // Markers first: level labels keep clear of them.
  for (const m of markers(result)) {
    if (
      m.alpha < Math.min(a0, a1) ||
      m.alpha > Math.max(a0, a1) ||
      m.beta < Math.min(b0, b1) ||
      m.beta > Math.max(b0, b1)
    )
      continue;
    const [px, py] = [round(x(m.alpha)), round(y(m.beta))];
    const marker = g.append('g').attr('class', `marker marker-${m.kind}`).attr('data-x', px).attr('data-y', py);
    if (m.kind === 'theta') marker.append('circle').attr('cx', px).attr('cy', py).attr('r', 4);
    else
      marker
        .append('rect')
        .attr('x', px - 4)
        .attr('y', py - 4)
        .attr('width', 8)
        .attr('height', 8);
    marker.selectAll('circle, rect').attr('fill', '#ffffff').attr('stroke', '#111').attr('stroke-width', 1.5);
    const anchor = px + 8 + m.label.length * 6.5 > frame.width ? 'end' : 'start';
    const [lx, ly] = [anchor === 'start' ? px + 7 : px - 7, py > 16 ? py - 7 : py + 17];
    halo(marker.append('text').attr('x', lx).attr('y', ly).attr('text-anchor', anchor).attr('font-size', 11)).text(
      m.label,
    );
    occupied.push({ x0: px - 5, y0: py - 5, x1: px + 5, y1: py + 5 }, textBox(lx, ly, m.label, anchor));
  }
  drawLevelLabels(g, contours, levels.values, gx, gy, frame, occupied, halo);
  drawColourBar(
    svg,
    levels,
    frame.left + frame.width + 24,
    frame.top,
    frame.height,
    `${table === 'robustLoss' ? 'adv. loss' : 'loss'} (${levels.spacing === 'given' ? 'levels' : levels.spacing})`,
  );
  return canvas.serialize();
}

/**
 * Labels every k-th interior level (about six in all) at a point of its longest ring inside the
 * frame, the first point whose label overlaps no marker and no other label; a level with no such
 * point stays unlabelled.
 */
function drawLevelLabels(
  g: d3.Selection<SVGGElement, unknown, null, undefined>,
  contours: d3.ContourMultiPolygon[],
  values: number[],
  gx: d3.ScaleLinear<number, number>,
  gy: d3.ScaleLinear<number, number>,
  frame: Frame,
  occupied: Box[],
  halo: (
    t: d3.Selection<SVGTextElement, unknown, null, undefined>,
  ) => d3.Selection<SVGTextElement, unknown, null, undefined>,
): void {
  const labels = levelLabels(values);
  const interior = values.length - 2;
  const every = Math.max(1, Math.ceil(interior / 6));
  const group = g.append('g').attr('class', 'level-labels').attr('font-size', 10);
  for (let k = 1; k <= interior; k += every) {
    // The longest ring inside the frame (a region's outer ring often runs along the clipped edge).
    const inside = (p: number[]) => {
      const [px, py] = [gx(p[0]!), gy(p[1]!)];
      return px > 0 && px < frame.width && py > 0 && py < frame.height;
    };
    const rings = (contours[k]?.coordinates.flat() ?? []).map((r) => r.filter(inside));
    const longest = rings.reduce<number[][]>((best, r) => (r.length > best.length ? r : best), []);
    const text = labels[k]!;
    // Start at a different place on each ring, so that labels of nested rings do not line up.
    const start = Math.floor(longest.length * ((k * 0.618) % 1));
    for (let i = 0; i < longest.length; i++) {
      const point = longest[(start + i) % longest.length]!;
      const [px, py] = [gx(point[0]!), gy(point[1]!)];
      const box = textBox(px, py + 4, text, 'middle');
      if (box.x0 < 2 || box.x1 > frame.width - 2 || box.y0 < 2 || box.y1 > frame.height - 2) continue;
      if (occupied.some((o) => overlaps(o, box))) continue;
      occupied.push(box);
      halo(
        group
          .append('text')
          .attr('x', round(px))
          .attr('y', round(py + 4))
          .attr('text-anchor', 'middle'),
      ).text(text);
      break;
    }
  }
}
