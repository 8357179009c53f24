/**
 * One row per checkpoint of a study: its label (`<run>@<epoch>`, or the file name of a checkpoint
 * given alone), robust accuracies, gap and flatness measures, read from the study result as they
 * are (the tables and the scatter show these numbers, never recomputed ones).
 */
import { metricAt } from '../results/metric-path.ts';
import type { StudyCheckpoint, StudyResult } from '../results/study-schema.ts';

export interface StudyRow {
  label: string;
  run: string | null;
  epoch: number | null;
  checkpoint: string;
  sha256: string;
  trainRobust: number | null;
  testRobust: number | null;
  /** Robust accuracy, train − test (a fraction); null without an attack. */
  gap: number | null;
  /** The settings' gap metric (a path in eval results), the scatter's y; null where the checkpoint lacks it. */
  gapMetric: number | null;
  /** Each of settings.measures, in order; null where the checkpoint lacks it (no attack). */
  measures: Array<number | null>;
}

/** A checkpoint's name in figures: `<run>@<epoch>`, or its file name when it belongs to no run. */
export function checkpointLabel(c: Pick<StudyCheckpoint, 'run' | 'epoch' | 'path'>): string {
  const file = c.path.split(/[\\/]/).filter(Boolean).at(-1) ?? c.path;
  if (c.run === null) return c.epoch === null ? file : `${file}@${c.epoch}`;
  return `${c.run}@${c.epoch ?? file}`;
}

/** The checkpoint as an eval result's paths see it (`gap.accuracy`, `splits.test.robust.accuracy`). */
function evalView(c: StudyCheckpoint): unknown {
  return { gap: c.gap, splits: { train: c.train, test: c.test } };
}

const orNull = (v: number | undefined) => (v === undefined ? null : v);

/** The study's checkpoints as table rows, in the study's order. */
export function studyRows(study: StudyResult): StudyRow[] {
  return study.checkpoints.map((c) => ({
    label: checkpointLabel(c),
    run: c.run,
    epoch: c.epoch,
    checkpoint: c.path,
    sha256: c.sha256,
    trainRobust: orNull(c.train.robust?.accuracy),
    testRobust: orNull(c.test.robust?.accuracy),
    gap: c.gap === null ? null : c.gap.accuracy,
    gapMetric: orNull(metricAt(evalView(c), study.settings.gap)),
    measures: study.settings.measures.map((m) => orNull(metricAt(c.flatness, m))),
  }));
}

/** The runs in the study's order, then "(files)" for checkpoints given alone: the key of each row's colour. */
export function runKeys(study: StudyResult): string[] {
  const keys = study.runs.map((r) => r.name);
  for (const c of study.checkpoints) if (c.run !== null && !keys.includes(c.run)) keys.push(c.run);
  if (study.checkpoints.some((c) => c.run === null)) keys.push('(files)');
  return keys;
}
