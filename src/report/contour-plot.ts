/** 2D landscapes as filled contours (viridis, colour-blind safe) with a colour bar. */
import * as d3 from 'd3';
import type { LandscapeResult } from '../results/landscape-schema.ts';
import { axes, createCanvas, round, chartTitle } from './svg-canvas.ts';
import type { ChartSize } from './flatness-curves.ts';

export function contourSvg(
  result: LandscapeResult,
  { width, height }: ChartSize,
  title: string,
  table: 'cleanLoss' | 'robustLoss' = 'cleanLoss',
): string {
  const alphas = result.grid.alphas;
  const betas = result.grid.betas!;
  const values = result.values[table]!.flat().map((v) => v ?? NaN);
  const canvas = createCanvas(width, height, title);
  const { svg } = canvas;
  const barWidth = 70;
  const frame = { left: 58, top: 28, width: width - 58 - barWidth - 20, height: height - 28 - 48 };
  const x = d3
    .scaleLinear()
    .domain([alphas[0]!, alphas.at(-1)!])
    .range([0, frame.width]);
  const y = d3
    .scaleLinear()
    .domain([betas[0]!, betas.at(-1)!])
    .range([frame.height, 0]);
  const finite = values.filter(Number.isFinite);
  const color = d3.scaleSequential(d3.interpolateViridis).domain([Math.min(...finite), Math.max(...finite)]);
  chartTitle(svg, title);
  const g = axes(svg, frame, x, y, 'α (first direction)', 'β (second direction)');
  // Contours fill where values reach a threshold: start at the minimum so every cell is coloured.
  const low = Math.min(...finite);
  const thresholds = [low, ...d3.ticks(low, Math.max(...finite), 10).filter((t) => t > low)];
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
  g.append('g')
    .attr('clip-path', `url(#${clip})`)
    .selectAll('path')
    .data(contours)
    .join('path')
    .attr('class', 'contour')
    .attr('d', (c) => path(c) ?? '')
    .attr('fill', (c) => color(c.value))
    .attr('stroke', '#ffffff')
    .attr('stroke-width', 0.3);
  const bar = svg
    .append('g')
    .attr('class', 'colour-bar')
    .attr('transform', `translate(${width - barWidth},${frame.top})`);
  const steps = 40;
  const barScale = d3
    .scaleLinear()
    .domain(color.domain() as [number, number])
    .range([frame.height, 0]);
  for (let i = 0; i < steps; i++) {
    const v0 = color.domain()[0]! + ((color.domain()[1]! - color.domain()[0]!) * i) / steps;
    bar
      .append('rect')
      .attr('y', round(barScale(v0) - frame.height / steps))
      .attr('width', 14)
      .attr('height', round(frame.height / steps + 0.5))
      .attr('fill', color(v0));
  }
  for (const tick of barScale.ticks(5)) {
    bar
      .append('text')
      .attr('x', 18)
      .attr('y', round(barScale(tick) + 4))
      .attr('fill', '#222')
      .text(barScale.tickFormat(5)(tick));
  }
  bar.append('text').attr('x', 0).attr('y', -8).attr('fill', '#222').text('loss');
  return canvas.serialize();
}
