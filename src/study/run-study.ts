/**
 * `weightscape study`: for every checkpoint of the given runs and files, the robust gap, the
 * flatness measures and the 1D curves (each a cached piece), then the correlations of flatness
 * with the gap and the study result. `--shard i/n` computes only its checkpoints' pieces (the
 * checkpoints whose index ≡ i mod n) and stops; a run without --shard reuses every piece on disk
 * and computes the rest, so it is also the merge after the shards (with `merge`, it refuses to
 * compute anything and names what is missing). The report (index.html, the figures and tables)
 * is written beside study.json.
 */
import { join } from 'node:path';
import type { BackendInfo } from '../backend/select-backend.ts';
import type { ModelConfigRequest } from '../checkpoints/model-config.ts';
import { WeightscapeError } from '../errors.ts';
import { shardPoints, type Shard } from '../landscape/grid.ts';
import { buildStudyReport } from '../report/study-report.ts';
import { writeFileAtomic } from '../results/atomic-write.ts';
import { provenance } from '../results/provenance.ts';
import { readAnyResult } from '../results/read-result.ts';
import { STUDY_SCHEMA, type StudyCheckpoint, type StudyResult } from '../results/study-schema.ts';
import { studyCheckpoint, type PieceContext } from './checkpoint-pieces.ts';
import { bestEpoch, pieceReader, studyCorrelations } from './study-correlations.ts';
import type { StudyInput, StudyRun } from './study-inputs.ts';
import type { StudySettings } from './study-settings.ts';

export const STUDY_FILE = 'study.json';
const REPORT_SIZE = { width: 560, height: 340 };

export interface StudyRequest {
  runs: StudyRun[];
  inputs: StudyInput[];
  /** Notes from listing the inputs. */
  notes: string[];
  settings: StudySettings;
  dir: string;
  model: ModelConfigRequest;
  backend: BackendInfo;
  shard?: Shard;
  /** Assemble from cached pieces only: a missing piece is an error, not a computation. */
  mergeOnly?: boolean;
  /** Before each checkpoint (computed or cached): its index (1-based) among this run's, and their count. */
  onCheckpoint?: (input: StudyInput, index: number, total: number) => void;
  onPiece?: (input: StudyInput, piece: string) => void;
  /** Tests: stop (as if killed) after this many checkpoints of this invocation. */
  stopAfterCheckpoints?: number;
}

/** The run's robust accuracy per epoch, from its log. */
function history(run: StudyRun): StudyResult['runs'][number]['history'] {
  return run.log.epochs.map((e) => ({
    epoch: e.epoch,
    trainRobust: e.train.robust?.accuracy ?? null,
    testRobust: e.test.robust?.accuracy ?? null,
    trainClean: e.train.clean.accuracy,
    testClean: e.test.clean.accuracy,
  }));
}

/** One note per scope and reason, naming the measures it concerns (or "every measure"). */
function correlationNotes(correlations: StudyResult['correlations'], measureCount: number): string[] {
  const byReason = new Map<string, string[]>();
  for (const c of correlations) {
    const scope = c.scope === 'run' ? `run ${c.run}` : c.scope === 'all' ? 'all checkpoints' : `${c.scope} epochs`;
    const reasons = [...(c.note === null ? [] : [c.note]), ...(c.result?.notes ?? [])];
    for (const reason of reasons) {
      const key = `${scope}: ${reason}`;
      byReason.set(key, [...(byReason.get(key) ?? []), c.measure]);
    }
  }
  return [...byReason].map(([key, measures]) =>
    measures.length === measureCount ? `${key} (every measure)` : `${key} (${measures.join(', ')})`,
  );
}

/** Computes (or reuses) the pieces of the request's checkpoints; with a shard, only its own. */
function studyPieces(request: StudyRequest): StudyCheckpoint[] | undefined {
  const { inputs } = request;
  const mine = shardPoints(inputs.length, request.shard);
  const context: PieceContext = {
    settings: request.settings,
    dir: request.dir,
    model: request.model,
    backend: request.backend,
  };
  const done: StudyCheckpoint[] = [];
  for (const [k, i] of mine.entries()) {
    if (request.stopAfterCheckpoints !== undefined && k >= request.stopAfterCheckpoints) return undefined;
    const input = inputs[i]!;
    request.onCheckpoint?.(input, k + 1, mine.length);
    done.push(
      studyCheckpoint(input, {
        ...context,
        onPiece: (piece) => {
          if (request.mergeOnly)
            throw new WeightscapeError(
              'bad-argument',
              `study --merge: ${input.path} lacks its ${piece} piece (run the shard that computes it, or drop --merge)`,
            );
          request.onPiece?.(input, piece);
        },
      }),
    );
  }
  return done;
}

export interface StudyOutcome {
  study: StudyResult;
  /** The report's files written beside study.json (index.html, figures, tables). */
  reportFiles: string[];
}

/** The study: every piece, the correlations, the result and its report written to dir (not with a shard). */
export function runStudy(request: StudyRequest): StudyOutcome | undefined {
  const started = performance.now();
  const checkpoints = studyPieces(request);
  if (checkpoints === undefined || request.shard !== undefined) return undefined;
  const { settings, dir } = request;
  const runs = request.runs.map((run) => {
    const own = checkpoints.filter((c) => c.run === run.name);
    return {
      name: run.name,
      dir: run.dir,
      epochs: own.map((c) => c.epoch ?? 0),
      history: history(run),
      bestEpoch: bestEpoch(own),
    };
  });
  const correlations = studyCorrelations(
    checkpoints,
    runs,
    settings,
    pieceReader(dir, (path) => readAnyResult(path).json),
  );
  const notes = [...request.notes, ...correlationNotes(correlations, settings.measures.length)];
  const result: StudyResult = {
    schema: STUDY_SCHEMA,
    settings,
    runs,
    checkpoints,
    correlations,
    notes: [...new Set(notes)],
    provenance: provenance({
      backend: request.backend,
      seed: settings.seed,
      wallSeconds: (performance.now() - started) / 1000,
    }),
  };
  writeFileAtomic(join(dir, STUDY_FILE), `${JSON.stringify(result, null, 2)}\n`);
  const { files } = buildStudyReport(result, REPORT_SIZE);
  for (const [name, content] of Object.entries(files)) writeFileAtomic(join(dir, name), content);
  return { study: result, reportFiles: Object.keys(files).sort() };
}
