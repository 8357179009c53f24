/**
 * Robust accuracy per epoch, train and test, one colour per run, with a legend: the chart behind
 * the report's training curves (from runs' logs) and the study's panel (a). Robust overfitting
 * shows as train rising while test falls.
 */
import * as d3 from 'd3';
import type { ChartSize } from './flatness-curves.ts';
import { axes, chartTitle, createCanvas, pathData, round } from './svg-canvas.ts';

/** One run's robust accuracy per epoch (null where an epoch has no robust metric). */
export interface EpochSeries {
  label: string;
  colour: string;
  epochs: number[];
  train: Array<number | null>;
  test: Array<number | null>;
  /** Epochs marked with a dot on the test curve (the study's checkpoints). */
  marked?: number[];
}

export interface RobustAccuracyChartOptions {
  title: string;
  /** Which split's curve is dashed; the other is solid. */
  dashed: 'train' | 'test';
  /** The y-axis from 0 to just above the highest value (true) or to 1 (false). */
  fitY: boolean;
  /** Curves classed by split, long labels cut (whole in a tooltip). */
  annotated: boolean;
}

const LABEL_CHARS = 18;
const MARKED_EPOCHS = 60;

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

/** The chart as SVG. */
export function robustAccuracyChartSvg(
  series: EpochSeries[],
  { title, dashed, fitY, annotated }: RobustAccuracyChartOptions,
  { width, height }: ChartSize,
): string {
  const canvas = createCanvas(width, height, title);
  const { svg } = canvas;
  const legendWidth = 150;
  const frame = { left: 58, top: 28, width: width - 58 - legendWidth - 12, height: height - 28 - 48 };
  const epochs = series.flatMap((s) => s.epochs);
  const values = series.flatMap((s) => [...s.train, ...s.test]).filter((v): v is number => v !== null);
  const x = d3
    .scaleLinear()
    .domain([Math.min(1, ...epochs), Math.max(2, ...epochs)])
    .range([0, frame.width]);
  const y = d3
    .scaleLinear()
    .domain([0, fitY ? Math.min(1, Math.max(0.1, ...values) * 1.1) : 1])
    .range([frame.height, 0])
    .nice();
  chartTitle(svg, title);
  const g = axes(svg, frame, x, y, 'epoch', 'robust accuracy', undefined, { integerX: true });
  const legend = svg
    .append('g')
    .attr('class', 'legend')
    .attr('transform', `translate(${width - legendWidth},36)`);
  const dash = (split: 'train' | 'test') => (split === dashed ? '6,4' : null);
  series.forEach((s, i) => {
    for (const split of ['train', 'test'] as const)
      for (const segment of segments(s.epochs.map((e, j) => [e, s[split][j]!])))
        g.append('path')
          .attr('class', annotated ? `curve ${split}` : 'curve')
          .attr('d', pathData(segment.map(([e, v]) => [x(e), y(v)])))
          .attr('fill', 'none')
          .attr('stroke', s.colour)
          .attr('stroke-width', 2)
          .attr('stroke-dasharray', dash(split));
    // A marker at every evaluated epoch (up to 60 of them: more would hide the curve), hollow on the dashed split.
    if (s.epochs.length <= MARKED_EPOCHS)
      for (const split of ['train', 'test'] as const)
        s.epochs.forEach((epoch, j) => {
          const value = s[split][j];
          if (value === null || value === undefined) return;
          g.append('circle')
            .attr('class', `point ${split}`)
            .attr('cx', round(x(epoch)))
            .attr('cy', round(y(value)))
            .attr('r', 2.5)
            .attr('fill', split === dashed ? '#ffffff' : s.colour)
            .attr('stroke', s.colour)
            .attr('stroke-width', 1.2);
        });
    s.epochs.forEach((epoch, j) => {
      const test = s.test[j];
      if (s.marked?.includes(epoch) !== true || test === null || test === undefined) return;
      g.append('circle')
        .attr('class', 'studied')
        .attr('cx', round(x(epoch)))
        .attr('cy', round(y(test)))
        .attr('r', 3)
        .attr('fill', s.colour)
        .append('title')
        .text(`${s.label}@${epoch}: test robust ${(100 * test).toFixed(1)}%`);
    });
    const row = legend.append('g').attr('transform', `translate(0,${i * 18})`);
    row.append('line').attr('x2', 18).attr('y1', -4).attr('y2', -4).attr('stroke', s.colour).attr('stroke-width', 2);
    const text = row.append('text').attr('x', 24).attr('fill', '#222');
    if (!annotated) text.text(s.label);
    else
      text
        .text(s.label.length > LABEL_CHARS ? `${s.label.slice(0, LABEL_CHARS - 1)}…` : s.label)
        .append('title')
        .text(s.label);
  });
  {
    // The key to the line styles, the solid one first.
    const key = legend.append('g').attr('transform', `translate(0,${series.length * 18 + 10})`);
    const styles = (['train', 'test'] as const).map((split) => [split, dash(split)] as const);
    for (const [i, [text, style]] of [
      ...styles.filter(([, d]) => d === null),
      ...styles.filter(([, d]) => d !== null),
    ].entries()) {
      key
        .append('line')
        .attr('x2', 18)
        .attr('y1', i * 18 - 4)
        .attr('y2', i * 18 - 4)
        .attr('stroke', '#555')
        .attr('stroke-width', 2)
        .attr('stroke-dasharray', style);
      key
        .append('text')
        .attr('x', 24)
        .attr('y', i * 18)
        .attr('fill', '#222')
        .text(text);
    }
  }
  return canvas.serialize();
}
