/**
 * The Hessian's spectral density (stochastic Lanczos quadrature, Gaussian-smoothed) as log10
 * density against eigenvalue, with the top eigenvalues marked: solid lines where Lanczos converged,
 * dashed and labelled "not converged" where it did not. The smoothed density falls by tens of
 * decades between separated eigenvalues; only the top DECADES below its peak are drawn (the path
 * breaks where it is lower), and the caption says so.
 */
import * as d3 from 'd3';
import type { HessianDensity, HessianEigenvalue } from '../results/hessian-schema.ts';
import type { ChartSize } from './flatness-curves.ts';
import { estimateText } from './hessian-format.ts';
import { axes, chartTitle, createCanvas, pathData, PALETTE, round } from './svg-canvas.ts';

/** How many decades below the peak the chart shows. */
export const DENSITY_DECADES = 10;

const CHAR_WIDTH = 7;
const MARKER = PALETTE[1]!;
const NOT_CONVERGED = '#555555';

/** Text cut to `chars` characters with an ellipsis (a title; never a tensor name). */
export function fitText(text: string, chars: number): string {
  return text.length <= chars ? text : `${text.slice(0, Math.max(1, chars - 1))}…`;
}

/**
 * The log10 density range the chart shows, rounded outward to ticks: from the peak down DENSITY_DECADES
 * (or to the lowest positive value if higher); null when fewer than 2 points have a positive density.
 */
export function densityLogDomain(density: number[]): [number, number] | null {
  const logs = density.filter((d) => d > 0).map(Math.log10);
  if (logs.length < 2) return null;
  const top = Math.max(...logs);
  const low = Math.max(Math.min(...logs), top - DENSITY_DECADES);
  const domain = d3
    .scaleLinear()
    .domain([low, top === low ? low + 1 : top])
    .nice()
    .domain();
  return [domain[0]!, domain[1]!];
}

/** True when some grid point's density is below the chart's range (zero included): the path breaks there. */
export function densityCut(density: number[]): boolean {
  const domain = densityLogDomain(density);
  return domain !== null && density.some((d) => !(d > 0) || Math.log10(d) < domain[0]);
}

/** Runs of consecutive grid points at or above the floor, as [eigenvalue, log10 density] pairs. */
function segments(density: HessianDensity, floor: number): Array<Array<[number, number]>> {
  const runs: Array<Array<[number, number]>> = [];
  let current: Array<[number, number]> = [];
  density.grid.forEach((x, i) => {
    const d = density.density[i]!;
    if (d > 0 && Math.log10(d) >= floor) current.push([x, Math.log10(d)]);
    else if (current.length > 0) {
      runs.push(current);
      current = [];
    }
  });
  if (current.length > 0) runs.push(current);
  return runs;
}

/** The density chart (null when fewer than 2 grid points have a positive density: nothing to draw). */
export function densitySvg(
  label: string,
  density: HessianDensity,
  eigenvalues: HessianEigenvalue[],
  { width, height }: ChartSize,
): string | null {
  const domain = densityLogDomain(density.density);
  if (domain === null) return null;
  const title = `Hessian spectral density: ${label}`;
  const canvas = createCanvas(width, height, title);
  const { svg } = canvas;
  const legend = [
    { text: 'top eigenvalue', dash: null, colour: MARKER },
    ...(eigenvalues.some((e) => !e.converged)
      ? [{ text: 'top eigenvalue, not converged (an estimate)', dash: '5,3', colour: NOT_CONVERGED }]
      : []),
  ];
  const frame = { left: 58, top: 46, width: width - 58 - 20, height: height - 46 - 50 - 16 * legend.length };
  const xs = [...density.grid, ...eigenvalues.map((e) => e.value)];
  const x = d3
    .scaleLinear()
    .domain(d3.extent(xs) as [number, number])
    .range([0, frame.width])
    .nice();
  const y = d3.scaleLinear().domain(domain).range([frame.height, 0]);
  const floor = domain[0];
  chartTitle(svg, fitText(title, Math.floor((width - 16) / CHAR_WIDTH)));
  const g = axes(svg, frame, x, y, 'eigenvalue of the Hessian', 'log10 density');
  g.append('path')
    .attr('class', 'curve density')
    .attr(
      'd',
      segments(density, floor)
        .map((run) => pathData(run.map(([e, l]) => [x(e), y(l)])))
        .join(''),
    )
    .attr('stroke', PALETTE[0]!)
    .attr('stroke-width', 1.8)
    .attr('fill', 'none');
  const labelled: Array<[number, number]> = [];
  eigenvalues.forEach((e) => {
    const px = round(x(e.value));
    const marker = g
      .append('line')
      .attr('class', `eigenvalue-marker${e.converged ? '' : ' not-converged'}`)
      .attr('x1', px)
      .attr('x2', px)
      .attr('y2', frame.height)
      .attr('stroke', e.converged ? MARKER : NOT_CONVERGED)
      .attr('stroke-width', 1.5);
    if (!e.converged) marker.attr('stroke-dasharray', '5,3');
    marker.append('title').text(`eigenvalue ${e.index}: ${estimateText(e.value, e.converged)}`);
    if (e.converged) return;
    // "not converged" above the frame, kept inside the chart and off a label already placed.
    const half = ('not converged'.length * 6) / 2;
    const centre = Math.min(Math.max(frame.left + px, half + 4), width - half - 4);
    if (labelled.some(([a, b]) => centre - half < b && a < centre + half)) return;
    labelled.push([centre - half, centre + half]);
    svg
      .append('text')
      .attr('class', 'marker-label')
      .attr('x', round(centre))
      .attr('y', frame.top - 6)
      .attr('text-anchor', 'middle')
      .attr('font-size', 10)
      .attr('fill', NOT_CONVERGED)
      .text('not converged');
  });
  legend.forEach(({ text, dash, colour }, i) => {
    const item = svg
      .append('g')
      .attr('class', 'legend')
      .attr('transform', `translate(8,${height - 10 - 16 * (legend.length - 1 - i)})`);
    const line = item.append('line').attr('x2', 22).attr('y1', -4).attr('y2', -4).attr('stroke', colour);
    line.attr('stroke-width', 1.5);
    if (dash !== null) line.attr('stroke-dasharray', dash);
    item.append('text').attr('x', 28).attr('fill', '#222').text(text);
  });
  return canvas.serialize();
}
