/**
 * Panel (b) of the study: the 1D adversarial loss of selected checkpoints of one run overlaid,
 * coloured by epoch on a sequential scale (viridis), along the random directions (mean, with the
 * min–max band over directions shaded) and along the adversarial direction, side by side, so that
 * a landscape sharpening over the epochs shows.
 */
import * as d3 from 'd3';
import type { StudyCheckpoint } from '../results/study-schema.ts';
import { wrapText, type ChartSize } from './flatness-curves.ts';
import { checkpointLabel } from './study-rows.ts';
import { axes, chartTitle, createCanvas, pathData, round, textWidth, type Svg } from './svg-canvas.ts';

/** At most `max` checkpoints, evenly spaced over the list, always the first and the last. */
export function evenlySpaced<T>(items: T[], max: number): T[] {
  if (items.length <= max) return items;
  const picked = new Set(Array.from({ length: max }, (_, i) => Math.round((i * (items.length - 1)) / (max - 1))));
  return [...picked].sort((a, b) => a - b).map((i) => items[i]!);
}

interface Curve {
  label: string;
  colour: string;
  alphas: number[];
  mean: number[];
  band: { min: number[]; max: number[] } | null;
}

function drawPanel(svg: Svg, curves: Curve[], left: number, width: number, height: number, title: string): void {
  const frame = { left: left + 58, top: 28, width: width - 58 - 12, height: height - 28 - 48 };
  const all = curves.flatMap((c) => [...c.mean, ...(c.band?.max ?? [])]);
  const x = d3
    .scaleLinear()
    .domain(d3.extent(curves.flatMap((c) => c.alphas)) as [number, number])
    .range([0, frame.width]);
  const y = d3
    .scaleLinear()
    .domain([Math.min(0, ...all), Math.max(...all) * 1.05 || 1])
    .range([frame.height, 0])
    .nice();
  chartTitle(svg, title, left + 8, 16);
  const g = axes(svg, frame, x, y, 'α along the direction', 'loss (cross-entropy)');
  for (const c of curves) {
    if (c.band !== null) {
      const band = c.band;
      const area = d3
        .area<number>()
        .x((_, j) => round(x(c.alphas[j]!)))
        .y0((_, j) => round(y(band.min[j]!)))
        .y1((_, j) => round(y(band.max[j]!)));
      g.append('path')
        .attr('class', 'band')
        .attr('d', area(c.alphas) ?? '')
        .attr('fill', c.colour)
        .attr('fill-opacity', 0.12)
        .attr('stroke', 'none');
    }
    g.append('path')
      .attr('class', 'curve')
      .attr('d', pathData(c.alphas.map((a, j) => [x(a), y(c.mean[j]!)])))
      .attr('fill', 'none')
      .attr('stroke', c.colour)
      .attr('stroke-width', 2)
      .append('title')
      .text(c.label);
    // A marker at each sampled α: the curve is drawn through them, not measured between.
    c.alphas.forEach((a, j) =>
      g
        .append('circle')
        .attr('class', 'marker')
        .attr('cx', round(x(a)))
        .attr('cy', round(y(c.mean[j]!)))
        .attr('r', 2.5)
        .attr('fill', c.colour),
    );
  }
}

/** The figure of one run's checkpoints (already in epoch order); at most 6 evenly spaced are drawn. */
export function epochLandscapesSvg(run: string, checkpoints: StudyCheckpoint[], size: ChartSize): string {
  const picked = evenlySpaced(checkpoints, 6);
  const epochs = picked.map((c, i) => c.epoch ?? i);
  // Viridis up to 0.85: its last tenth is a yellow too pale to read on white.
  const colour = d3
    .scaleSequential((t) => d3.interpolateViridis(0.85 * t))
    .domain([
      Math.min(...epochs),
      Math.max(...epochs) === Math.min(...epochs) ? Math.min(...epochs) + 1 : Math.max(...epochs),
    ]);
  const colours = picked.map((_, i) => d3.color(colour(epochs[i]!))!.formatHex());
  const adversarialRandom = picked.every((c) => c.curves.random.adversarial !== null);
  const adversarialDirection = picked.every((c) => c.curves.adversarial.adversarial !== null);
  const random: Curve[] = picked.map((c, i) => {
    const spread = adversarialRandom ? c.curves.random.adversarial! : c.curves.random.clean;
    return {
      label: checkpointLabel(c),
      colour: colours[i]!,
      alphas: c.curves.random.alphas,
      mean: spread.mean,
      band: { min: spread.min, max: spread.max },
    };
  });
  const awp: Curve[] = picked.map((c, i) => ({
    label: checkpointLabel(c),
    colour: colours[i]!,
    alphas: c.curves.adversarial.alphas,
    mean: adversarialDirection ? c.curves.adversarial.adversarial! : c.curves.adversarial.clean,
    band: null,
  }));
  const legendWidth = 130;
  const panel = Math.max(size.width - 60, 300);
  const width = 2 * panel + legendWidth;
  const title = `${run}: loss along random and adversarial directions by epoch`;
  const canvas = createCanvas(width, size.height, title);
  const { svg } = canvas;
  drawPanel(
    svg,
    random,
    0,
    panel,
    size.height,
    `${adversarialRandom ? 'Adversarial' : 'Clean'} loss, random directions (mean, min–max)`,
  );
  drawPanel(
    svg,
    awp,
    panel,
    panel,
    size.height,
    `${adversarialDirection ? 'Adversarial' : 'Clean'} loss, adversarial direction`,
  );
  const legend = svg
    .append('g')
    .attr('class', 'legend')
    .attr('transform', `translate(${2 * panel + 8},36)`);
  // The run's name wrapped onto lines, never cut.
  const runLines = wrapText(run, Math.floor((legendWidth - 8) / textWidth('x', 12)));
  runLines.forEach((line, k) =>
    legend
      .append('text')
      .attr('class', 'run-name')
      .attr('y', k * 15)
      .attr('fill', '#222')
      .attr('font-weight', 'bold')
      .text(line),
  );
  picked.forEach((c, i) => {
    const row = legend.append('g').attr('transform', `translate(0,${(runLines.length - 1) * 15 + (i + 1) * 18})`);
    row.append('line').attr('x2', 18).attr('y1', -4).attr('y2', -4).attr('stroke', colours[i]!).attr('stroke-width', 3);
    const text = c.epoch === null ? checkpointLabel(c) : `epoch ${c.epoch}`;
    row
      .append('text')
      .attr('class', 'epoch')
      .attr('x', 24)
      .attr('fill', '#222')
      .text(text.length > 12 ? `${text.slice(0, 11)}…` : text)
      .append('title')
      .text(checkpointLabel(c));
  });
  return canvas.serialize();
}
