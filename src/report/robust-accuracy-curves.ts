/**
 * Panel (a) of the study: robust accuracy per epoch of every run, train dashed and test solid, one
 * colour per run, from the runs' logs (every epoch); the studied checkpoints are dots on the test
 * curve. Robust overfitting shows as train rising while test falls.
 */
import type { StudyResult } from '../results/study-schema.ts';
import type { ChartSize } from './flatness-curves.ts';
import { robustAccuracyChartSvg } from './robust-accuracy-chart.ts';

/** The chart; `colours` maps each run name to its colour. */
export function robustAccuracyCurvesSvg(study: StudyResult, colours: Map<string, string>, size: ChartSize): string {
  const series = study.runs.map((run) => ({
    label: run.name,
    colour: colours.get(run.name)!,
    epochs: run.history.map((h) => h.epoch),
    train: run.history.map((h) => h.trainRobust),
    test: run.history.map((h) => h.testRobust),
    marked: run.epochs,
  }));
  const title = 'Robust accuracy per epoch (dashed: train, solid: test)';
  return robustAccuracyChartSvg(series, { title, dashed: 'train', fitY: true, annotated: true }, size);
}
