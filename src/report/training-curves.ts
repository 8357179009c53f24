/** Robust accuracy per epoch on train and test (from a run's log.json): robust overfitting shows as the gap opening. */
import type { TrainLog } from '../results/train-log-schema.ts';
import type { ChartSize } from './flatness-curves.ts';
import { robustAccuracyChartSvg } from './robust-accuracy-chart.ts';
import { PALETTE } from './svg-canvas.ts';

export function trainingCurvesSvg(runs: Array<{ label: string; log: TrainLog }>, size: ChartSize): string {
  const series = runs.map(({ label, log }, i) => ({
    label,
    colour: PALETTE[i % PALETTE.length]!,
    epochs: log.epochs.map((e) => e.epoch),
    train: log.epochs.map((e) => e.train.robust?.accuracy ?? null),
    test: log.epochs.map((e) => e.test.robust?.accuracy ?? null),
  }));
  const title = 'Robust accuracy per epoch';
  return robustAccuracyChartSvg(series, { title, dashed: 'test', fitY: false, annotated: false }, size);
}
