/**
 * 1D flatness curves: loss along α for several checkpoints, clean (solid) and adversarial (dashed),
 * with a marker at each sampled point. The title names the direction (filter-normalized random,
 * adversarial…). Legend names are wrapped, never cut; the legend moves below the plot (the figure
 * grows) when it does not fit beside it. With `logY` the y axis is logarithmic, refused with a
 * note when a loss is ≤ 0. Zoom rule: when the loss range over all α exceeds 10× the range over
 * the central half of α, a second panel below shows the central half alone (the basin), on its own
 * y scale (never with logY, which already shows the basin). The same chart draws accuracy (in %,
 * on a fixed 0–100 axis, never zoomed or logarithmic) when asked for the accuracy curves.
 */
import * as d3 from 'd3';
import {
  axes,
  createCanvas,
  PALETTE,
  pathData,
  round,
  textWidth,
  yLabelX,
  type Svg,
  chartTitle,
} from './svg-canvas.ts';

export interface CurveSeries {
  label: string;
  alphas: number[];
  /** Clean and adversarial values at each α: losses, or accuracies in % for the accuracy curves. */
  clean: number[];
  adversarial: number[] | null;
  /** The direction's spec (`filter`, `adversarial`…): the title says which; absent: not known. */
  direction?: string;
}

/** A chart's size, and the report's drawing options that reach every chart (flags of `weightscape report`). */
export interface ChartSize {
  width: number;
  height: number;
  /** 1D curves on a logarithmic y axis (`--log-y`). */
  logY?: boolean;
  /** The scatter plots' axis labels (`--x-label`, `--y-label`) in place of the measures' descriptions. */
  xLabel?: string;
  yLabel?: string;
}

/** How a direction reads in a title: "a filter-normalized random direction", "the adversarial (AWP) direction". */
export function directionPhrase(spec: string | undefined): string {
  const kind = spec?.split(':')[0];
  if (kind === 'filter') return 'a filter-normalized random direction';
  if (kind === 'layer') return 'a layer-normalized random direction';
  if (kind === 'random') return 'an unnormalized random direction';
  if (kind === 'adversarial') return 'the adversarial (AWP) direction';
  if (kind === 'hessian') return 'the top Hessian eigenvector';
  if (kind === 'interpolate') return 'the line to another checkpoint';
  if (kind === 'file') return 'a direction from a file';
  return 'a 1D direction';
}

/** What a curve chart plots: the loss, or the accuracy in % (values 0–100). */
export type CurveQuantity = 'loss' | 'accuracy';

/** "Loss along <the direction>" when all curves share one kind of direction, else "Loss along 1D directions". */
export function curvesTitle(series: CurveSeries[], quantity: CurveQuantity = 'loss'): string {
  const noun = quantity === 'loss' ? 'Loss' : 'Accuracy';
  const phrases = [...new Set(series.map((s) => directionPhrase(s.direction)))];
  return phrases.length === 1 ? `${noun} along ${phrases[0]}` : `${noun} along 1D directions`;
}

/**
 * Words on lines of at most `chars` characters, broken at spaces or after hyphens (a line broken
 * after a hyphen keeps it); a word longer than a line is split, never dropped.
 */
export function wrapText(text: string, chars: number): string[] {
  // Pieces keep their trailing hyphen; `space` says whether a space preceded the piece.
  const pieces = text
    .split(' ')
    .flatMap((word) => (word.match(/[^-]*-+|[^-]+$/g) ?? [word]).map((piece, k) => ({ piece, space: k === 0 })));
  const lines: string[] = [];
  let line = '';
  for (const { piece, space } of pieces) {
    let rest = piece;
    const joined = line === '' ? rest : `${line}${space ? ' ' : ''}${rest}`;
    if (joined.length <= chars) {
      line = joined;
      continue;
    }
    if (line !== '') lines.push(line);
    while (rest.length > chars) {
      lines.push(rest.slice(0, chars));
      rest = rest.slice(chars);
    }
    line = rest;
  }
  lines.push(line);
  return lines;
}

const LINE = 15;
const RIGHT_LEGEND = 150;
const ZOOM_RATIO = 10;

/** α of the central half of the range (the basin), or null when the rest does not dominate the range (see above). */
export function zoomRange(series: CurveSeries[]): [number, number] | null {
  const alphas = series.flatMap((s) => s.alphas);
  const [lo, hi] = [Math.min(...alphas), Math.max(...alphas)];
  const [a, b] = [lo + (hi - lo) / 4, hi - (hi - lo) / 4];
  const all: number[] = [];
  const central: number[] = [];
  for (const s of series)
    for (const values of [s.clean, s.adversarial ?? []])
      values.forEach((v, j) => {
        all.push(v);
        if (s.alphas[j]! >= a && s.alphas[j]! <= b) central.push(v);
      });
  if (central.length < 2) return null;
  const centralRange = Math.max(...central) - Math.min(...central);
  const fullRange = Math.max(...all) - Math.min(...all);
  return centralRange > 0 && fullRange > ZOOM_RATIO * centralRange ? [a, b] : null;
}

interface Layout {
  legendBelow: boolean;
  /** Lines of each legend entry. */
  entries: string[][];
  zoom: [number, number] | null;
  zoomHeight: number;
  legendHeight: number;
  height: number;
}

/** Where the legend goes and how tall the figure is. */
export function curvesLayout(
  series: CurveSeries[],
  { width, height, logY }: ChartSize,
  quantity: CurveQuantity = 'loss',
): Layout {
  const zoom = quantity === 'accuracy' || (logY === true && logRefusal(series) === null) ? null : zoomRange(series);
  const zoomHeight = zoom === null ? 0 : 28 + Math.round(0.6 * (height - 76)) + 48;
  const rightEntries = series.map((s) => wrapText(s.label, Math.floor((RIGHT_LEGEND - 24) / textWidth('x'))));
  const keyHeight = 2 * 18 + 10;
  const rightHeight = d3.sum(rightEntries, (e) => e.length * LINE + 4) + keyHeight;
  if (rightHeight <= height - 36)
    return {
      legendBelow: false,
      entries: rightEntries,
      zoom,
      zoomHeight,
      legendHeight: 0,
      height: height + zoomHeight,
    };
  const entries = series.map((s) => wrapText(s.label, Math.floor((width - 40) / textWidth('x'))));
  const legendHeight = d3.sum(entries, (e) => e.length * LINE + 4) + keyHeight + 8;
  return { legendBelow: true, entries, zoom, zoomHeight, legendHeight, height: height + zoomHeight + legendHeight };
}

/** Why a log scale cannot show these curves (a loss ≤ 0), or null. */
function logRefusal(series: CurveSeries[]): string | null {
  for (const s of series)
    for (const values of [s.clean, s.adversarial ?? []]) {
      const low = Math.min(...values);
      if (low <= 0)
        return `--log-y: ${s.label} has a loss of ${low} ≤ 0, which a log scale cannot show; the curves are drawn on a linear scale`;
    }
  return null;
}

interface Panel {
  left: number;
  top: number;
  width: number;
  height: number;
  alphaRange: [number, number] | null;
  log: boolean;
  title: string;
  quantity: CurveQuantity;
}

function drawPanel(svg: Svg, series: CurveSeries[], p: Panel): void {
  const inRange = (a: number) => p.alphaRange === null || (a >= p.alphaRange[0] && a <= p.alphaRange[1]);
  const kept = series.map((s) => {
    const idx = s.alphas.map((a, j) => (inRange(a) ? j : -1)).filter((j) => j >= 0);
    return {
      alphas: idx.map((j) => s.alphas[j]!),
      clean: idx.map((j) => s.clean[j]!),
      adversarial: s.adversarial === null ? null : idx.map((j) => s.adversarial![j]!),
    };
  });
  const losses = kept.flatMap((s) => [...s.clean, ...(s.adversarial ?? [])]);
  const alphas = kept.flatMap((s) => s.alphas);
  const [lo, hi] = [Math.min(...losses), Math.max(...losses)];
  const y: d3.ScaleContinuousNumeric<number, number> =
    p.quantity === 'accuracy'
      ? d3.scaleLinear().domain([0, 100])
      : p.log
        ? d3
            .scaleLog()
            .domain([lo, hi === lo ? lo * 10 : hi])
            .nice()
        : d3
            .scaleLinear()
            .domain(
              p.alphaRange === null
                ? [Math.min(0, lo), hi * 1.05 || 1]
                : [lo - 0.05 * (hi - lo || 1), hi + 0.05 * (hi - lo || 1)],
            )
            .nice();
  // Plain numbers at the decades (0.01, 100), not SI prefixes (10m, 1k).
  if (p.log) {
    const format = y.tickFormat.bind(y);
    y.tickFormat = (count) => format(count, '~g');
  }
  const labelAt = yLabelX(y);
  const frameLeft = Math.max(58, -labelAt + 14);
  const frame = { left: p.left + frameLeft, top: p.top + 28, width: p.width - frameLeft, height: p.height - 28 - 48 };
  y.range([frame.height, 0]);
  const x = d3
    .scaleLinear()
    .domain(d3.extent(alphas) as [number, number])
    .range([0, frame.width]);
  chartTitle(svg, p.title, p.left + 8, p.top + 16);
  const yLabel =
    p.quantity === 'accuracy' ? 'accuracy (%)' : p.log ? 'loss (cross-entropy, log scale)' : 'loss (cross-entropy)';
  const g = axes(svg, frame, x, y, 'α along the direction', yLabel, labelAt);
  kept.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    for (const [values, dash] of [
      [s.clean, null],
      [s.adversarial, '6,4'],
    ] as const) {
      if (values === null) continue;
      const points = s.alphas.map((a, j): [number, number] => [x(a), y(values[j]!)]);
      g.append('path')
        .attr('class', 'curve')
        .attr('d', pathData(points))
        .attr('fill', 'none')
        .attr('stroke', color)
        .attr('stroke-width', 2)
        .attr('stroke-dasharray', dash);
      for (const [px, py] of points)
        g.append('circle')
          .attr('class', 'marker')
          .attr('cx', round(px))
          .attr('cy', round(py))
          .attr('r', 2.5)
          .attr('fill', dash === null ? color : '#ffffff')
          .attr('stroke', color)
          .attr('stroke-width', 1.2);
    }
  });
}

function drawLegend(svg: Svg, series: CurveSeries[], entries: string[][], left: number, top: number): void {
  const legend = svg.append('g').attr('class', 'legend').attr('transform', `translate(${left},${top})`);
  let at = 0;
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const row = legend.append('g').attr('transform', `translate(0,${at})`);
    row.append('line').attr('x2', 18).attr('y1', -4).attr('y2', -4).attr('stroke', color).attr('stroke-width', 2);
    entries[i]!.forEach((line, k) => {
      row
        .append('text')
        .attr('class', 'legend-name')
        .attr('x', 24)
        .attr('y', k * LINE)
        .attr('fill', '#222')
        .text(line);
    });
    at += entries[i]!.length * LINE + 4;
  });
  const key = legend.append('g').attr('transform', `translate(0,${at + 10})`);
  key.append('line').attr('x2', 18).attr('y1', -4).attr('y2', -4).attr('stroke', '#555').attr('stroke-width', 2);
  key.append('text').attr('x', 24).attr('fill', '#222').text('clean');
  key
    .append('line')
    .attr('x2', 18)
    .attr('y1', 14)
    .attr('y2', 14)
    .attr('stroke', '#555')
    .attr('stroke-width', 2)
    .attr('stroke-dasharray', '6,4');
  key.append('text').attr('x', 24).attr('y', 18).attr('fill', '#222').text('adversarial');
}

/**
 * Draws the curves into `svg` at (left, top) in the layout's height (curvesLayout(series, size).height)
 * and returns the notes (a refused log scale); used alone and in the combined figure.
 */
export function drawFlatnessCurves(
  svg: Svg,
  series: CurveSeries[],
  left: number,
  top: number,
  size: ChartSize,
  title: string,
  quantity: CurveQuantity = 'loss',
): string[] {
  // Accuracy has its fixed 0–100 axis: --log-y is for losses only.
  const refusal = size.logY === true && quantity === 'loss' ? logRefusal(series) : null;
  const log = size.logY === true && quantity === 'loss' && refusal === null;
  const layout = curvesLayout(series, size, quantity);
  const plotWidth = size.width - (layout.legendBelow ? 0 : RIGHT_LEGEND) - 12;
  drawPanel(svg, series, { left, top, width: plotWidth, height: size.height, alphaRange: null, log, title, quantity });
  if (layout.zoom !== null) {
    const [a, b] = layout.zoom.map((v) => Number(v.toPrecision(3)));
    drawPanel(svg, series, {
      left,
      top: top + size.height,
      width: plotWidth,
      height: layout.zoomHeight,
      alphaRange: layout.zoom,
      log: false,
      quantity,
      title: `Zoom on the basin: α from ${a} to ${b} (the central half)`,
    });
  }
  const legendTop = layout.legendBelow ? top + size.height + layout.zoomHeight + 12 : top + 36;
  const legendLeft = layout.legendBelow ? left + 16 : left + size.width - RIGHT_LEGEND;
  drawLegend(svg, series, layout.entries, legendLeft, legendTop);
  return refusal === null ? [] : [refusal];
}

/** The curves as a standalone SVG, with the notes to print (a refused log scale). */
export function flatnessCurvesFigure(
  series: CurveSeries[],
  size: ChartSize,
  title = curvesTitle(series),
  quantity: CurveQuantity = 'loss',
): { svg: string; notes: string[] } {
  const height = curvesLayout(series, size, quantity).height;
  const canvas = createCanvas(size.width, height, title);
  const notes = drawFlatnessCurves(canvas.svg, series, 0, 0, size, title, quantity);
  return { svg: canvas.serialize(), notes };
}

/** The curves as a standalone SVG. */
export function flatnessCurvesSvg(series: CurveSeries[], size: ChartSize, title = curvesTitle(series)): string {
  return flatnessCurvesFigure(series, size, title).svg;
}
