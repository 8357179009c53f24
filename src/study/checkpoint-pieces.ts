/**
 * One checkpoint's part of a study, each piece a result file cached under
 * `pieces/<sha256 prefix>/<piece>-<settings hash>.json`: the robust gap (an eval result on fixed
 * class-stratified subsets of both splits), the flatness measures (a flatness result), and the 1D
 * curves along M seeded filter-normalized directions and along the adversarial direction
 * (landscape results). A piece on disk with the checkpoint's SHA-256 is reused; a landscape
 * killed mid-sweep resumes from its points; anything else is computed and written atomically.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAttack } from '../attacks/attack-spec.ts';
import type { BackendInfo } from '../backend/select-backend.ts';
import type { ModelConfigRequest } from '../checkpoints/model-config.ts';
import { parseDataSpec } from '../data/dataset.ts';
import { parseDirection } from '../directions/direction-spec.ts';
import { WeightscapeError } from '../errors.ts';
import { evaluateCheckpoint } from '../eval/evaluate-checkpoint.ts';
import { measureFlatness } from '../landscape/flatness.ts';
import { sampleLandscape } from '../landscape/sample-landscape.ts';
import { writeFileAtomic } from '../results/atomic-write.ts';
import type { EvalResult } from '../results/eval-schema.ts';
import type { FlatnessResult, LossFlatness } from '../results/flatness-schema.ts';
import type { LandscapeResult } from '../results/landscape-schema.ts';
import { readResult, type ResultKind, type ResultOf } from '../results/read-result.ts';
import type { StudyCheckpoint } from '../results/study-schema.ts';
import { assertWholeRun } from '../results/whole-run.ts';
import type { StudyInput } from './study-inputs.ts';
import { directionSeed, pieceKey, type StudySettings } from './study-settings.ts';

export interface PieceContext {
  settings: StudySettings;
  /** The study directory; piece paths in the result are relative to it. */
  dir: string;
  model: ModelConfigRequest;
  backend: BackendInfo;
  /** Called before each piece is computed (not when it is reused). */
  onPiece?: (piece: string) => void;
}

/** The settings each piece depends on (its cache key hashes them with the checkpoint's SHA-256). */
function dependencies(
  settings: StudySettings,
  model: ModelConfigRequest,
  trainingSubset: StudyInput['trainingSubset'],
) {
  const common = {
    data: settings.data,
    attack: settings.attack,
    batchSize: settings.batchSize,
    seed: settings.seed,
    model,
    trainingSubset,
  };
  const landscape = { ...common, split: settings.landscapeSplit, subset: settings.landscapeSubset };
  return {
    eval: { ...common, subset: settings.subset },
    flatness: {
      ...landscape,
      directions: settings.directions,
      rho: settings.rho,
      rhoAdversarial: settings.rhoAdversarial,
    },
    random: (m: number) => ({
      ...landscape,
      direction: `filter:seed=${directionSeed(settings, m)}`,
      alphas: settings.alphas,
    }),
    adversarial: { ...landscape, direction: 'adversarial', alphas: settings.adversarialAlphas },
  };
}

/** The piece's path, and its cached result when one of this checkpoint is on disk. */
function cached<K extends ResultKind>(path: string, kind: K, sha256: string): ResultOf<K> | undefined {
  if (!existsSync(path)) return undefined;
  const result = readResult(path, kind);
  const recorded = (result as { provenance?: { checkpoint?: { sha256?: string } } }).provenance?.checkpoint?.sha256;
  if (recorded !== sha256)
    throw new WeightscapeError(
      'bad-file',
      `${path}: a cached piece of another checkpoint (SHA-256 ${recorded}); remove it`,
    );
  return result;
}

function writeJson(path: string, result: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(result, null, 2)}\n`);
}

/** A 1D landscape piece: reused when complete, resumed when partial, computed otherwise. */
function landscapePiece(
  input: StudyInput,
  context: PieceContext,
  path: string,
  direction: string,
  alphas: number[],
): LandscapeResult {
  const { settings } = context;
  const partial = cached(path, 'landscape', input.sha256);
  if (partial?.complete) return partial;
  context.onPiece?.(`${direction} curve`);
  return sampleLandscape({
    settings: {
      checkpoint: input.path,
      data: parseDataSpec(settings.data),
      split: settings.landscapeSplit,
      subset: settings.landscapeSubset,
      ...(input.trainingSubset === null ? {} : { trainingSubset: input.trainingSubset }),
      batchSize: settings.batchSize,
      loss: 'adversarial',
      attack: parseAttack(settings.attack),
      fixedExamples: false,
      bn: 'eval',
      recalibrationBatches: 1,
      directions: [parseDirection(direction)],
      includeBn: false,
      alphas,
      betas: null,
      seed: settings.seed,
    },
    model: context.model,
    backend: context.backend,
    out: path,
    resumeFrom: partial,
  });
}

/** Mean, min and max over the directions at each α. */
function spread(curves: number[][]) {
  const at = (i: number) => curves.map((c) => c[i]!);
  const alphas = curves[0]!.map((_, i) => i);
  return {
    mean: alphas.map((i) => at(i).reduce((a, b) => a + b, 0) / curves.length),
    min: alphas.map((i) => Math.min(...at(i))),
    max: alphas.map((i) => Math.max(...at(i))),
  };
}

const curve = (landscape: LandscapeResult, table: 'cleanLoss' | 'robustLoss') =>
  (landscape.values[table]?.[0] ?? []) as number[];

const summary = (f: LossFlatness) => ({
  atTheta: f.atTheta,
  averageIncrease: f.averageIncrease,
  maxIncrease: f.maxIncrease,
  // Not null: the flatness piece is a whole run's (a shard is refused).
  adversarialDirectionIncrease: f.adversarialDirectionIncrease!,
  curvature: f.curvature,
});

/** Every piece of one checkpoint (computed or reused), and its entry in the study result. */
export function studyCheckpoint(input: StudyInput, context: PieceContext): StudyCheckpoint {
  const { settings, dir } = context;
  const pieceDir = join(dir, 'pieces', input.sha256.slice(0, 16));
  mkdirSync(pieceDir, { recursive: true });
  const deps = dependencies(settings, context.model, input.trainingSubset);
  const path = (piece: string, dependsOn: unknown) =>
    join(pieceDir, `${pieceKey(input.sha256, piece, dependsOn)}.json`);
  const data = parseDataSpec(settings.data);
  const attack = parseAttack(settings.attack);

  const evalPath = path('eval', deps.eval);
  let evaluated: EvalResult | undefined = cached(evalPath, 'eval', input.sha256);
  if (evaluated === undefined) {
    context.onPiece?.('gap');
    evaluated = evaluateCheckpoint({
      checkpoint: input.path,
      data,
      splits: ['train', 'test'],
      subset: settings.subset ?? undefined,
      trainingSubset: input.trainingSubset,
      attack,
      model: context.model,
      batchSize: settings.batchSize,
      backend: context.backend,
      seed: settings.seed,
    });
    writeJson(evalPath, evaluated);
  }

  const flatnessPath = path('flatness', deps.flatness);
  let flatness: FlatnessResult | undefined = cached(flatnessPath, 'flatness', input.sha256);
  assertWholeRun(flatnessPath, flatness);
  if (flatness === undefined) {
    context.onPiece?.('flatness');
    flatness = measureFlatness({
      checkpoint: input.path,
      data,
      split: settings.landscapeSplit,
      subset: settings.landscapeSubset ?? undefined,
      trainingSubset: input.trainingSubset,
      rho: settings.rho,
      rhoAdversarial: settings.rhoAdversarial,
      directions: settings.directions,
      attack,
      hessian: false,
      hessianBatches: 2,
      batchSize: settings.batchSize,
      seed: settings.seed,
      model: context.model,
      backend: context.backend,
    });
    writeJson(flatnessPath, flatness);
  }

  const randomPaths = Array.from({ length: settings.directions }, (_, m) => path(`random-${m + 1}`, deps.random(m)));
  const random = randomPaths.map((p, m) =>
    landscapePiece(input, context, p, `filter:seed=${directionSeed(settings, m)}`, settings.alphas),
  );
  const adversarialPath = path('adversarial', deps.adversarial);
  const adversarial = landscapePiece(input, context, adversarialPath, 'adversarial', settings.adversarialAlphas);

  const train = evaluated.splits.train;
  const test = evaluated.splits.test;
  if (train === undefined || test === undefined)
    throw new WeightscapeError('bad-file', `${evalPath}: the cached gap lacks a split; remove it`);
  const rel = (p: string) => relative(dir, p);
  return {
    run: input.run,
    epoch: input.epoch,
    path: input.path,
    sha256: input.sha256,
    trainingSubset: input.trainingSubset,
    files: {
      eval: rel(evalPath),
      flatness: rel(flatnessPath),
      random: randomPaths.map(rel),
      adversarial: rel(adversarialPath),
    },
    train,
    test,
    gap: evaluated.gap ?? null,
    flatness: {
      clean: summary(flatness.clean),
      adversarial: flatness.adversarial === null ? null : summary(flatness.adversarial),
    },
    curves: {
      random: {
        alphas: settings.alphas,
        clean: spread(random.map((r) => curve(r, 'cleanLoss'))),
        adversarial: spread(random.map((r) => curve(r, 'robustLoss'))),
      },
      adversarial: {
        alphas: settings.adversarialAlphas,
        clean: curve(adversarial, 'cleanLoss'),
        adversarial: curve(adversarial, 'robustLoss'),
      },
    },
  };
}
