/** Flatness versus gap across checkpoints, with the least-squares line and the correlation coefficients. */
import * as d3 from 'd3';
import type { CorrelationResult } from '../results/correlation-schema.ts';
import { axes, createCanvas, PALETTE, pathData, round, chartTitle } from './svg-canvas.ts';
import type { ChartSize } from './flatness-curves.ts';

/** A coefficient to two decimals; "undefined" where it is (a constant measure), never NaN. */
const two = (v: number | null) => (v === null || !Number.isFinite(v) ? 'undefined' : v.toFixed(2));

export function scatterSvg(result: CorrelationResult, { width, height }: ChartSize): string {
  const title = `${result.y} against ${result.x}`;
  const canvas = createCanvas(width, height, title);
  const { svg } = canvas;
  const frame = { left: 58, top: 28, width: width - 58 - 16, height: height - 28 - 64 };
  const xs = result.points.map((p) => p.x);
  const ys = result.points.map((p) => p.y);
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
  chartTitle(svg, title);
  const g = axes(svg, frame, x, y, result.x, result.y);
  const n = xs.length;
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
      .attr('stroke', PALETTE[1]!)
      .attr('stroke-width', 1.5)
      .attr('stroke-dasharray', '5,3')
      .attr('fill', 'none');
  }
  g.selectAll('circle')
    .data(result.points)
    .join('circle')
    .attr('class', 'point')
    .attr('cx', (p) => round(x(p.x)))
    .attr('cy', (p) => round(y(p.y)))
    .attr('r', 4.5)
    .attr('fill', PALETTE[0]!)
    .append('title')
    .text((p) => `${p.checkpoint}: (${p.x}, ${p.y})`);
  const c = result.coefficients;
  const { pValue } = c.kendall.permutation;
  svg
    .append('text')
    .attr('class', 'coefficients')
    .attr('x', 8)
    .attr('y', height - 10)
    .attr('fill', '#222')
    .text(
      `n = ${n}   Pearson r = ${two(c.pearson.value)}   Spearman ρ = ${two(c.spearman.value)}   ` +
        `Kendall τ = ${two(c.kendall.value)} (p = ${pValue === null ? 'undefined' : pValue.toPrecision(2)})`,
    );
  return canvas.serialize();
}
