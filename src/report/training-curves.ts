/** Robust accuracy per epoch on train and test (from a run's log.json): robust overfitting shows as the gap opening. */
import * as d3 from 'd3';
import type { TrainLog } from '../results/train-log-schema.ts';
import { axes, createCanvas, PALETTE, pathData, chartTitle } from './svg-canvas.ts';
import type { ChartSize } from './flatness-curves.ts';

export function trainingCurvesSvg(runs: Array<{ label: string; log: TrainLog }>, { width, height }: ChartSize): string {
  const title = 'Robust accuracy per epoch (solid: train, dashed: test)';
  const canvas = createCanvas(width, height, title);
  const { svg } = canvas;
  const legendWidth = 150;
  const frame = { left: 58, top: 28, width: width - 58 - legendWidth - 12, height: height - 28 - 48 };
  const epochs = runs.flatMap((r) => r.log.epochs.map((e) => e.epoch));
  const x = d3
    .scaleLinear()
    .domain([Math.min(1, ...epochs), Math.max(2, ...epochs)])
    .range([0, frame.width]);
  const y = d3.scaleLinear().domain([0, 1]).range([frame.height, 0]);
  chartTitle(svg, title);
  const g = axes(svg, frame, x, y, 'epoch', 'robust accuracy');
  const legend = svg
    .append('g')
    .attr('class', 'legend')
    .attr('transform', `translate(${width - legendWidth},36)`);
  runs.forEach(({ label, log }, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    for (const [split, dash] of [
      ['train', null],
      ['test', '6,4'],
    ] as const) {
      const points = log.epochs
        .filter((e) => e[split].robust)
        .map((e) => [x(e.epoch), y(e[split].robust!.accuracy)] as [number, number]);
      g.append('path')
        .attr('class', 'curve')
        .attr('d', pathData(points))
        .attr('fill', 'none')
        .attr('stroke', color)
        .attr('stroke-width', 2)
        .attr('stroke-dasharray', dash);
    }
    const row = legend.append('g').attr('transform', `translate(0,${i * 18})`);
    row.append('line').attr('x2', 18).attr('y1', -4).attr('y2', -4).attr('stroke', color).attr('stroke-width', 2);
    row.append('text').attr('x', 24).attr('fill', '#222').text(label);
  });
  return canvas.serialize();
}
