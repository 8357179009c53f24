/** 1D flatness curves: loss along α for several checkpoints, clean (solid) and adversarial (dashed). */
import * as d3 from 'd3';
import { axes, createCanvas, PALETTE, pathData, type Svg, chartTitle } from './svg-canvas.ts';

export interface CurveSeries {
  label: string;
  alphas: number[];
  clean: number[];
  adversarial: number[] | null;
}

export interface ChartSize {
  width: number;
  height: number;
}

/** Draws the curves into `svg` at (left, top) and returns nothing; used alone and in the combined figure. */
export function drawFlatnessCurves(
  svg: Svg,
  series: CurveSeries[],
  left: number,
  top: number,
  { width, height }: ChartSize,
  title: string,
): void {
  const legendWidth = 150;
  const frame = { left: left + 58, top: top + 28, width: width - 58 - legendWidth - 12, height: height - 28 - 48 };
  const allAlphas = series.flatMap((s) => s.alphas);
  const allLosses = series.flatMap((s) => [...s.clean, ...(s.adversarial ?? [])]);
  const x = d3
    .scaleLinear()
    .domain(d3.extent(allAlphas) as [number, number])
    .range([0, frame.width]);
  const y = d3
    .scaleLinear()
    .domain([0, Math.max(...allLosses) * 1.05 || 1])
    .range([frame.height, 0])
    .nice();
  chartTitle(svg, title, left + 8, top + 16);
  const g = axes(svg, frame, x, y, 'α along the direction', 'loss (cross-entropy)');
  const legend = svg
    .append('g')
    .attr('class', 'legend')
    .attr('transform', `translate(${left + width - legendWidth},${top + 36})`);
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    for (const [values, dash] of [
      [s.clean, null],
      [s.adversarial, '6,4'],
    ] as const) {
      if (values === null) continue;
      g.append('path')
        .attr('class', 'curve')
        .attr('d', pathData(s.alphas.map((a, j) => [x(a), y(values[j]!)])))
        .attr('fill', 'none')
        .attr('stroke', color)
        .attr('stroke-width', 2)
        .attr('stroke-dasharray', dash);
    }
    const row = legend.append('g').attr('transform', `translate(0,${i * 18})`);
    row.append('line').attr('x2', 18).attr('y1', -4).attr('y2', -4).attr('stroke', color).attr('stroke-width', 2);
    row
      .append('text')
      .attr('x', 24)
      .attr('fill', '#222')
      .text(s.label.length > 18 ? `${s.label.slice(0, 17)}…` : s.label)
      .append('title')
      .text(s.label);
  });
  const key = legend.append('g').attr('transform', `translate(0,${series.length * 18 + 10})`);
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

export function flatnessCurvesSvg(
  series: CurveSeries[],
  size: ChartSize,
  title = 'Loss along filter-normalized directions',
): string {
  const canvas = createCanvas(size.width, size.height, title);
  drawFlatnessCurves(canvas.svg, series, 0, 0, size, title);
  return canvas.serialize();
}
