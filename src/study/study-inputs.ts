/**
 * What a study measures: every saved epoch of every run directory (the checkpoints its log.json
 * lists; a run without them contributes its final model.safetensors) and every checkpoint file
 * given, each identified by its SHA-256. Checked before any work: a path that is neither a run
 * directory nor a readable file exits 2 naming it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseDataSpec } from '../data/dataset.ts';
import { WeightscapeError } from '../errors.ts';
import { readResult } from '../results/read-result.ts';
import type { TrainLog } from '../results/train-log-schema.ts';
import type { TrainingSubset } from '../eval/open-evaluation.ts';

export interface StudyInput {
  run: string | null;
  epoch: number | null;
  path: string;
  sha256: string;
  /** The examples the run trained on (its log's --subset and seed); null: the whole train split. */
  trainingSubset: TrainingSubset | null;
}

export interface StudyRun {
  name: string;
  dir: string;
  log: TrainLog;
}

/** The SHA-256 of a file's bytes (the key of every cached piece). */
export function fileSha256(path: string): string {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch (error) {
    throw new WeightscapeError('bad-file', `${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
}

/** What a run trained on: its training subset, if it used one. */
function trainingSubsetOf(run: StudyRun): TrainingSubset | null {
  const { subset, seed } = run.log.config;
  return subset === null || subset === undefined ? null : { size: subset, seed };
}

/** The checkpoints a run's log lists per epoch, or its final model when it saved none. */
function runCheckpoints(run: StudyRun, notes: string[]): StudyInput[] {
  const trainingSubset = trainingSubsetOf(run);
  const saved = run.log.epochs.flatMap((record) => {
    const checkpoint = (record as { checkpoint?: { path: string; sha256: string } }).checkpoint;
    return checkpoint === undefined
      ? []
      : [{ epoch: record.epoch, file: join(run.dir, checkpoint.path), sha256: checkpoint.sha256 }];
  });
  if (saved.length > 0) {
    return saved.map(({ epoch, file, sha256 }) => {
      if (!existsSync(file))
        throw new WeightscapeError('bad-file', `${file}: listed in ${run.dir}/log.json but missing`);
      const actual = fileSha256(file);
      if (actual !== sha256)
        throw new WeightscapeError(
          'bad-file',
          `${file}: its SHA-256 differs from the one ${run.dir}/log.json records (the file changed after training)`,
        );
      return { run: run.name, epoch, path: file, sha256, trainingSubset };
    });
  }
  const final = join(run.dir, 'model.safetensors');
  if (!existsSync(final))
    throw new WeightscapeError('bad-file', `${run.dir}: a run directory without model.safetensors`);
  const last = run.log.epochs.at(-1)?.epoch ?? null;
  notes.push(
    `${run.dir}: no per-epoch checkpoints (train --save-every): only its final model (epoch ${last}) is studied`,
  );
  return [{ run: run.name, epoch: last, path: final, sha256: fileSha256(final), trainingSubset }];
}

/** Unique run names: the directory's name, with its parent's when two runs share a name. */
function runName(dir: string, taken: Set<string>): string {
  let name = basename(resolve(dir));
  if (taken.has(name)) name = `${basename(resolve(dir, '..'))}/${name}`;
  for (let i = 2; taken.has(name); i++) name = `${basename(resolve(dir))}-${i}`;
  taken.add(name);
  return name;
}

/** Runs and checkpoints of the given paths, in the order given (each run's epochs ascending), duplicates once. */
export function listStudyInputs(paths: string[]): { runs: StudyRun[]; inputs: StudyInput[]; notes: string[] } {
  if (paths.length === 0) throw new WeightscapeError('bad-argument', 'study: give run directories or checkpoint files');
  const runs: StudyRun[] = [];
  const inputs: StudyInput[] = [];
  const notes: string[] = [];
  const names = new Set<string>();
  for (const path of paths) {
    if (!existsSync(path)) throw new WeightscapeError('bad-file', `${path}: no such file or directory`);
    if (statSync(path).isDirectory()) {
      const logPath = join(path, 'log.json');
      if (!existsSync(logPath))
        throw new WeightscapeError('bad-file', `${path}: a directory without log.json (not a weightscape run)`);
      const run: StudyRun = { name: runName(path, names), dir: path, log: readResult(logPath, 'train log') };
      runs.push(run);
      inputs.push(...runCheckpoints(run, notes).sort((a, b) => (a.epoch ?? 0) - (b.epoch ?? 0)));
    } else {
      inputs.push({ run: null, epoch: null, path, sha256: fileSha256(path), trainingSubset: null });
    }
  }
  const seen = new Map<string, StudyInput>();
  const unique = inputs.filter((input) => {
    const first = seen.get(input.sha256);
    if (first === undefined) {
      seen.set(input.sha256, input);
      return true;
    }
    notes.push(`${input.path}: the same file as ${first.path} (SHA-256 ${input.sha256.slice(0, 12)}…), studied once`);
    return false;
  });
  return { runs, inputs: unique, notes };
}

/**
 * A run trained on other data than the study's: its gap would compare two unrelated sets, so it is
 * refused (before any work), naming the run.
 */
export function checkRunData(runs: StudyRun[], data: string): void {
  for (const run of runs) {
    if (parseDataSpec(run.log.config.data).text !== parseDataSpec(data).text)
      throw new WeightscapeError(
        'bad-argument',
        `study --data ${data}: ${run.dir} trained on ${run.log.config.data}; study it with --data ${run.log.config.data}`,
      );
  }
}
