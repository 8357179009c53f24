/**
 * The correlation of each flatness measure with the robust gap, over four scopes: all checkpoints,
 * the epochs of each run, and across runs at their final and at their best epoch (highest test
 * robust accuracy). Each is `correlateResults` on the pieces' eval and flatness results, the same
 * numbers `weightscape correlate` gives on those files; a scope with fewer than 3 checkpoints gets
 * null and a note instead of a coefficient.
 */
import { join } from 'node:path';
import type { NamedResult } from '../results/metric-path.ts';
import type { StudyCheckpoint, StudyCorrelation, StudyResult } from '../results/study-schema.ts';
import { correlateResults } from '../stats/correlate-results.ts';
import type { StudySettings } from './study-settings.ts';

type Run = StudyResult['runs'][number];

/** The run's studied epoch with the highest test robust accuracy (the earliest on ties). */
export function bestEpoch(checkpoints: StudyCheckpoint[]): number | null {
  let best: StudyCheckpoint | undefined;
  for (const c of checkpoints) {
    const accuracy = c.test.robust?.accuracy ?? -1;
    if (best === undefined || accuracy > (best.test.robust?.accuracy ?? -1)) best = c;
  }
  return best?.epoch ?? null;
}

interface Scope {
  scope: StudyCorrelation['scope'];
  run: string | null;
  checkpoints: StudyCheckpoint[];
  /** Why a scope has too few checkpoints, in words. */
  what: string;
}

function scopes(checkpoints: StudyCheckpoint[], runs: Run[]): Scope[] {
  const ofRun = (run: Run) => checkpoints.filter((c) => c.run === run.name);
  const atEpoch = (pick: (run: Run) => number | null) =>
    runs.flatMap((run) => ofRun(run).filter((c) => c.epoch === pick(run)));
  return [
    { scope: 'all', run: null, checkpoints, what: 'checkpoints' },
    ...runs.map((run) => ({
      scope: 'run' as const,
      run: run.name,
      checkpoints: ofRun(run),
      what: `epochs of ${run.name}`,
    })),
    {
      scope: 'final',
      run: null,
      checkpoints: atEpoch((run) => run.epochs.at(-1) ?? null),
      what: 'runs (final epochs)',
    },
    { scope: 'best', run: null, checkpoints: atEpoch((run) => run.bestEpoch), what: 'runs (best epochs)' },
  ];
}

/** Every scope × measure, in that order. */
export function studyCorrelations(
  checkpoints: StudyCheckpoint[],
  runs: Run[],
  settings: StudySettings,
  readPiece: (path: string) => NamedResult,
): StudyCorrelation[] {
  const entries: StudyCorrelation[] = [];
  for (const { scope, run, checkpoints: members, what } of scopes(checkpoints, runs)) {
    const files = members.flatMap((c) => [readPiece(c.files.eval), readPiece(c.files.flatness)]);
    for (const measure of settings.measures) {
      if (members.length < 3) {
        entries.push({
          scope,
          run,
          measure,
          result: null,
          note: `needs at least 3 ${what}, found ${members.length}: no correlation`,
        });
        continue;
      }
      const result = correlateResults(files, measure, settings.gap, {
        resamples: settings.resamples,
        permutations: settings.permutations,
        seed: settings.seed,
      });
      entries.push({ scope, run, measure, result, note: null });
    }
  }
  return entries;
}

/**
 * Reads a piece named relative to the study directory, as correlate would read the file; each file
 * once, though the scopes share them.
 */
export function pieceReader(dir: string, read: (path: string) => unknown): (path: string) => NamedResult {
  const seen = new Map<string, NamedResult>();
  return (path) => {
    const full = join(dir, path);
    const named = seen.get(full) ?? { path: full, json: read(full) };
    seen.set(full, named);
    return named;
  };
}
