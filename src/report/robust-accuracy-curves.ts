/**
 * Panel (a) of the study: robust accuracy per epoch of every run, train dashed and test solid, one
 * colour per run, from the runs' logs (every epoch); the studied checkpoints are dots on the test
 * curve. Robust overfitting shows as train rising while test falls.
 */
import * as d3 from 'd3';
import type { StudyResult } from '../results/study-schema.ts';
import type { ChartSize } from './flatness-curves.ts';
import { axes, chartTitle, createCanvas, pathData, round } from './svg-canvas.ts';

/** Polylines through the defined points, broken where a value is null (an epoch without a robust metric). */
function segments(points: Array<[number, number | null]>): Array<Array<[number, number]>> {
  const out: Array<Array<[number, number]>> = [];
  let current: Array<[number, number]> = [];
  for (const [x, y] of points) {
    if (y === null) {
      if (current.length > 0) out.push(current);
      current = [];
    } else current.push([x, y]);
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** The chart; `colours` maps each run name to its colour. */
export function robustAccuracyCurvesSvg(
  study: StudyResult,
  colours: Map<string, string>,
  { width, height }: ChartSize,
): string {
  const title = 'Robust accuracy per epoch (dashed: train, solid: test)';
  const canvas = createCanvas(width, height, title);
  const { svg } = canvas;
  const legendWidth = 150;
  const frame = { left: 58, top: 28, width: width - 58 - legendWidth - 12, height: height - 28 - 48 };
  const epochs = study.runs.flatMap((r) => r.history.map((h) => h.epoch));
  const values = study.runs.flatMap((r) =>
    r.history.flatMap((h) => [h.trainRobust, h.testRobust]).filter((v): v is number => v !== null),
  );
  const x = d3
    .scaleLinear()
    .domain([Math.min(1, ...epochs), Math.max(2, ...epochs)])
    .range([0, frame.width]);
  const y = d3
    .scaleLinear()
    .domain([0, Math.min(1, Math.max(0.1, ...values) * 1.1)])
    .range([frame.height, 0])
    .nice();
  chartTitle(svg, title);
  const g = axes(svg, frame, x, y, 'epoch', 'robust accuracy');
  const legend = svg
    .append('g')
    .attr('class', 'legend')
    .attr('transform', `translate(${width - legendWidth},36)`);
  study.runs.forEach((run, i) => {
    const colour = colours.get(run.name)!;
    for (const [key, dash] of [
      ['trainRobust', '6,4'],
      ['testRobust', null],
    ] as const) {
      for (const segment of segments(run.history.map((h) => [h.epoch, h[key]])))
        g.append('path')
          .attr('class', `curve ${key === 'trainRobust' ? 'train' : 'test'}`)
          .attr('d', pathData(segment.map(([e, v]) => [x(e), y(v)])))
          .attr('fill', 'none')
          .attr('stroke', colour)
          .attr('stroke-width', 2)
          .attr('stroke-dasharray', dash);
    }
    for (const h of run.history.filter((e) => run.epochs.includes(e.epoch) && e.testRobust !== null))
      g.append('circle')
        .attr('class', 'studied')
        .attr('cx', round(x(h.epoch)))
        .attr('cy', round(y(h.testRobust!)))
        .attr('r', 3)
        .attr('fill', colour)
        .append('title')
        .text(`${run.name}@${h.epoch}: test robust ${(100 * h.testRobust!).toFixed(1)}%`);
    const row = legend.append('g').attr('transform', `translate(0,${i * 18})`);
    row.append('line').attr('x2', 18).attr('y1', -4).attr('y2', -4).attr('stroke', colour).attr('stroke-width', 2);
    row
      .append('text')
      .attr('x', 24)
      .attr('fill', '#222')
      .text(run.name.length > 18 ? `${run.name.slice(0, 17)}…` : run.name)
      .append('title')
      .text(run.name);
  });
  const key = legend.append('g').attr('transform', `translate(0,${study.runs.length * 18 + 10})`);
  for (const [i, [text, dash]] of (
    [
      ['test', null],
      ['train', '6,4'],
    ] as const
  ).entries()) {
    key
      .append('line')
      .attr('x2', 18)
      .attr('y1', i * 18 - 4)
      .attr('y2', i * 18 - 4)
      .attr('stroke', '#555')
      .attr('stroke-width', 2)
      .attr('stroke-dasharray', dash);
    key
      .append('text')
      .attr('x', 24)
      .attr('y', i * 18)
      .attr('fill', '#222')
      .text(text);
  }
  return canvas.serialize();
}
