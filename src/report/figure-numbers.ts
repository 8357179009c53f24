/**
 * The numbers behind each figure, as a table for index.html's collapsible "numbers" block: a
 * reader (or a reviewer) can check a figure without opening the result files.
 */
import type { CorrelationResult } from '../results/correlation-schema.ts';
import type { LandscapeResult } from '../results/landscape-schema.ts';
import type { TrainLog } from '../results/train-log-schema.ts';
import type { GapRow } from './gap-table.ts';

export interface FigureNumbers {
  headers: string[];
  rows: string[][];
}

/** Full precision, as the result files hold them; '–' where nothing was measured. */
const text = (v: number | null | undefined) => (v === null || v === undefined ? '–' : String(v));

/** 1D landscapes: one row per α of each landscape, its clean and adversarial loss. */
export function curveNumbers(
  landscapes: Array<{ label: string; result: LandscapeResult }>,
  quantity: 'loss' | 'accuracy' = 'loss',
): FigureNumbers {
  const [clean, robust] =
    quantity === 'loss' ? (['cleanLoss', 'robustLoss'] as const) : (['cleanAccuracy', 'robustAccuracy'] as const);
  return {
    headers: ['landscape', 'α', `clean ${quantity}`, `adversarial ${quantity}`],
    rows: landscapes.flatMap(({ label, result }) =>
      result.grid.alphas.map((alpha, i) => [
        label,
        String(alpha),
        text(result.values[clean][0]![i]),
        text(result.values[robust]?.[0]![i]),
      ]),
    ),
  };
}

/** A 2D landscape's table: a row per β, a column per α (values[i_beta][i_alpha]). */
export function gridNumbers(result: LandscapeResult, table: 'cleanLoss' | 'robustLoss'): FigureNumbers {
  return {
    headers: ['β \\ α', ...result.grid.alphas.map(String)],
    rows: result.grid.betas!.map((beta, i) => [String(beta), ...result.values[table]![i]!.map(text)]),
  };
}

/** Robust accuracy per epoch of each run. */
export function epochNumbers(runs: Array<{ label: string; log: TrainLog }>): FigureNumbers {
  return {
    headers: ['run', 'epoch', 'train robust accuracy', 'test robust accuracy'],
    rows: runs.flatMap(({ label, log }) =>
      log.epochs.map((e) => [label, String(e.epoch), text(e.train.robust?.accuracy), text(e.test.robust?.accuracy)]),
    ),
  };
}

/** A correlation's points. */
export function scatterNumbers(result: CorrelationResult): FigureNumbers {
  return {
    headers: ['checkpoint', result.x, result.y],
    rows: result.points.map((p) => [p.checkpoint, String(p.x), String(p.y)]),
  };
}

/** The gap table's rows, as fractions (the figure shows percent and points). */
export function gapNumbers(rows: GapRow[]): FigureNumbers {
  return {
    headers: ['model', 'train robust accuracy', 'test robust accuracy', 'gap', 'test clean accuracy', 'flatness'],
    rows: rows.map((r) => [
      r.label,
      String(r.trainRobustAccuracy),
      String(r.testRobustAccuracy),
      String(r.gap),
      String(r.testCleanAccuracy),
      text(r.flatness),
    ]),
  };
}
