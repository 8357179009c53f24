/**
 * Panel (c) of the study: a flatness measure (x) against the robust gap (y, in points) over all
 * checkpoints, each point labelled `<run>@<epoch>` and coloured by run, axes labelled by what the
 * measures are, with the study's correlation coefficients across all checkpoints, their bootstrap
 * intervals and p-values.
 */
import type { StudyCorrelation } from '../results/study-schema.ts';
import type { ChartSize } from './flatness-curves.ts';
import { inPoints, measureLabel } from './measure-labels.ts';
import { coefficientLines as namedCoefficients, scatterChartSvg } from './scatter-plot.ts';
import type { StudyRow } from './study-rows.ts';

/** The y axis in points when the gap metric is an accuracy (a fraction), else as recorded. */
export const gapInPoints = inPoints;

/** The lines under the chart: the coefficients with their intervals, or the note saying why there are none. */
function coefficientLines(entry: StudyCorrelation | undefined): string[] {
  if (entry === undefined) return ['no correlation across all checkpoints in the study'];
  if (entry.result === null) return [entry.note ?? 'correlation undefined'];
  return namedCoefficients(entry.result.coefficients, entry.result.points.length);
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
      // --x-label/--y-label, where given, label every study scatter.
      xLabel: size.xLabel ?? measureLabel(measure),
      yLabel:
        size.yLabel ??
        (measureLabel(gapPath) === gapPath && scale === 100 ? `${gapPath} (points)` : measureLabel(gapPath)),
      points,
      footer: coefficientLines(entry),
      labelPoints: true,
      legend: runs.map((run) => ({ label: run, colour: colours.get(run)! })),
    },
    { width: Math.max(size.width, 600), height: Math.max(size.height, 400) },
  );
}
