/** A discrete colour bar: one equal-height block per band between two levels, the level values as ticks. */
import type { Levels } from './contour-levels.ts';
import { levelLabels } from './contour-levels.ts';
import { round, type Svg } from './svg-canvas.ts';

export const COLOUR_BAR_WIDTH = 14;

/** Draws the colour bar of `levels` at (x, top), `height` tall, titled `title`. */
export function drawColourBar(svg: Svg, levels: Levels, x: number, top: number, height: number, title: string): void {
  const bar = svg.append('g').attr('class', 'colour-bar').attr('transform', `translate(${x},${top})`);
  const bands = Math.max(1, levels.values.length - 1);
  const step = height / bands;
  for (let k = 0; k < bands; k++)
    bar
      .append('rect')
      .attr('class', 'band')
      .attr('y', round(height - (k + 1) * step))
      .attr('width', COLOUR_BAR_WIDTH)
      .attr('height', round(step + 0.3))
      .attr('fill', levels.colour(k));
  bar
    .append('rect')
    .attr('width', COLOUR_BAR_WIDTH)
    .attr('height', height)
    .attr('fill', 'none')
    .attr('stroke', '#333')
    .attr('stroke-width', 0.5);
  // Every level gets a tick; labels are thinned so that they stay 13 px apart.
  // The end labels say when values beyond them share the end colours.
  const labels = levelLabels(levels.values).map((label, i, all) =>
    i === 0 && levels.clipped.low ? `≤ ${label}` : i === all.length - 1 && levels.clipped.high ? `≥ ${label}` : label,
  );
  const every = Math.max(1, Math.ceil(13 / step));
  levels.values.forEach((_, i) => {
    const py = round(levels.values.length === 1 ? height / 2 : height - i * step);
    bar
      .append('line')
      .attr('class', 'tick')
      .attr('x1', COLOUR_BAR_WIDTH)
      .attr('x2', COLOUR_BAR_WIDTH + 4)
      .attr('y1', py)
      .attr('y2', py)
      .attr('stroke', '#333');
    if (i % every === 0)
      bar
        .append('text')
        .attr('class', 'tick-label')
        .attr('x', COLOUR_BAR_WIDTH + 6)
        .attr('y', round(py + 4))
        .attr('fill', '#222')
        .attr('font-size', 11)
        .text(labels[i]!);
  });
  bar.append('text').attr('x', 0).attr('y', -8).attr('fill', '#222').text(title);
}
