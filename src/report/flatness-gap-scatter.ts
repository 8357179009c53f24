/**
 * Panel (c) of the study: a flatness measure (x) against the robust gap (y, in points) over all
 * checkpoints, each point labelled `<run>@<epoch>` and coloured by run, with the study's
 * correlation coefficients across all checkpoints, their bootstrap intervals and p-values.
 */
import type { StudyCorrelation } from '../results/study-schema.ts';
import type { ChartSize } from './flatness-curves.ts';
import { scatterChartSvg } from './scatter-plot.ts';
import type { StudyRow } from './study-rows.ts';
import { coefficientText } from './study-table.ts';

/** The y axis in points when the gap metric is an accuracy (a fraction), else as recorded. */
export function gapInPoints(gapPath: string): boolean {
  return /accuracy$/i.test(gapPath);
}

/** The lines under the chart: the coefficients with their intervals, or the note saying why there are none. */
function coefficientLines(entry: StudyCorrelation | undefined): string[] {
  if (entry === undefined) return ['no correlation across all checkpoints in the study'];
  if (entry.result === null) return [entry.note ?? 'correlation undefined'];
  const c = entry.result.coefficients;
  const level = Math.round(100 * c.pearson.interval.level);
  return [
    `n = ${entry.result.points.length}, ${level}% bootstrap intervals, permutation p-values:`,
    `Pearson r = ${coefficientText(c.pearson)}   Spearman ρ = ${coefficientText(c.spearman)}`,
    `Kendall τ = ${coefficientText(c.kendall)}`,
  ];
}

/** The scatter for settings.measures[index]; rows without the measure or the gap are left out. */
export function flatnessGapScatterSvg(
  rows: StudyRow[],
  index: number,
  measure: string,
  gapPath: string,
  correlations: StudyCorrelation[],
  colours: Map<string, string>,
  size: ChartSize,
): string {
  const scale = gapInPoints(gapPath) ? 100 : 1;
  const points = rows
    .filter((r) => r.measures[index] !== null && r.gapMetric !== null)
    .map((r) => ({
      x: r.measures[index]!,
      y: scale * r.gapMetric!,
      label: r.label,
      colour: colours.get(r.run ?? '(files)')!,
    }));
  const entry = correlations.find((c) => c.scope === 'all' && c.measure === measure);
  const runs = [...new Set(rows.map((r) => r.run ?? '(files)'))];
  return scatterChartSvg(
    {
      title: `Flatness against the robust gap: ${measure}`,
      xLabel: measure,
      yLabel: scale === 100 ? `${gapPath} (points)` : gapPath,
      points,
      footer: coefficientLines(entry),
      labelPoints: true,
      legend: runs.map((run) => ({ label: run, colour: colours.get(run)! })),
    },
    { width: Math.max(size.width, 600), height: Math.max(size.height, 400) },
  );
}
