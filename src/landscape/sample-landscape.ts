/**
 * 1D and 2D loss landscapes: at every grid point the loss and accuracy of θ + α·d (+ β·e).
 * With the adversarial loss, the adversarial examples are regenerated against the perturbed
 * weights (or, with fixedExamples, made once at θ and reused, which the result says). BatchNorm
 * uses the checkpoint's running statistics (eval) or statistics recomputed at each point
 * (recalibrate). The result is rewritten atomically after every point; a resumed or sharded
 * sweep computes only the points it lacks.
 */
import * as tf from '@tensorflow/tfjs';
import { attackWarnings, type AttackSpec } from '../attacks/attack-spec.ts';
import { runAttack } from '../attacks/run-attack.ts';
import type { BackendInfo } from '../backend/select-backend.ts';
import type { ModelConfigRequest } from '../checkpoints/model-config.ts';
import { buildDirection, needsBatches } from '../directions/build-direction.ts';
import { saveDirection } from '../directions/direction-file.ts';
import type { LabeledImages } from '../data/dataset.ts';
import { tensorBatches } from '../data/tensor-batches.ts';
import { modelFunction } from '../models/engine-registry.ts';
import { writeFileAtomic } from '../results/atomic-write.ts';
import { checkpointProvenance } from '../results/provenance.ts';
import { flatness1d, flatnessUndefinedReason } from './flatness-1d.ts';
import { recordedShard, shardPoints, type Shard } from '../cluster/shard-spec.ts';
import { WeightscapeError } from '../errors.ts';
import { emptyTable } from './grid.ts';
import { shardProgress } from './shard-progress.ts';
import { fixedAdversarialData } from './point-inputs.ts';
import { prepareSweep, type PreparedSweep, type SweepSettings } from './prepare-sweep.ts';
import { DIRECTION_BATCHES } from './sweep-identity.ts';
import { computePoint, type PointContext } from './sweep-point.ts';

import { LANDSCAPE_SCHEMA, type LandscapeResult } from '../results/landscape-schema.ts';

export type { LandscapeResult, LandscapeSettings } from '../results/landscape-schema.ts';
export type { SweepSettings } from './prepare-sweep.ts';
export type { Table } from '../results/schema-parts.ts';

export interface SampleRequest {
  /** The attack, the data and the directions parsed; the result records their canonical strings. */
  settings: SweepSettings;
  model: ModelConfigRequest;
  backend: BackendInfo;
  shard?: Shard;
  /** Write the partial result here after every point. */
  out?: string;
  /** A partial result of the same sweep to continue (its spec strings compared in canonical form). */
  resumeFrom?: LandscapeResult;
  saveDirections?: Array<string | undefined>;
  onPoint?: (done: number, total: number) => void;
  /** Called once a resumed file is known to be this sweep's, with the points of this shard it holds. */
  onResume?: (progress: { done: number; total: number }) => void;
  /** Called with the partial result after every point (workers report through it). */
  onResult?: (result: LandscapeResult) => void;
  /** Tests: stop (as if killed) after this many points of this invocation. */
  stopAfterPoints?: number;
}

export const GRID_LAYOUT =
  'values[i_beta][i_alpha]; alpha along directions[0], beta along directions[1]; 1D sweeps have one row';

type BuiltDirection = ReturnType<typeof buildDirection>;

function disposeDirections(built: BuiltDirection[]): void {
  built.forEach(({ direction }) => tf.dispose(Object.values(direction)));
}

/** The sweep's directions (data-dependent ones on the first batches of its data), saved where asked. */
function sweepDirections(request: SampleRequest, sweep: PreparedSweep): BuiltDirection[] {
  const { settings } = request;
  const { checkpoint, data, config, weights, directionAttack } = sweep;
  const specs = settings.directions;
  // Data-dependent directions (adversarial, hessian) use the first batches of the sweep's data.
  const logitsFn = modelFunction(config, weights, { training: false });
  // Random and file directions need no data: no attack runs for them.
  const probeBatches = !specs.some(needsBatches)
    ? []
    : tensorBatches(data, settings.batchSize, DIRECTION_BATCHES).map(({ x, labels }, b) => ({
        x,
        labels,
        xAdv: runAttack(directionAttack, logitsFn, x, labels, settings.seed * 7 + b),
      }));
  const built: BuiltDirection[] = [];
  try {
    specs.forEach((spec, i) =>
      built.push(
        buildDirection(spec, {
          weights,
          config,
          batches: probeBatches,
          includeBn: settings.includeBn,
          seed: settings.seed * 1000 + i + 1,
          adversarialLoss: settings.loss === 'adversarial',
        }),
      ),
    );
    built.forEach(({ direction, info }, i) => {
      const path = request.saveDirections?.[i];
      if (path !== undefined)
        saveDirection(path, direction, config, {
          spec: info.spec,
          normalization: info.normalization,
          seed: String(info.seed),
          checkpointSha256: checkpoint.sha256,
        });
    });
  } catch (error) {
    disposeDirections(built);
    throw error;
  } finally {
    tf.dispose(probeBatches.flatMap((b) => [b.x, b.xAdv, b.labels]));
  }
  return built;
}

/** What the points are evaluated on (fixed examples or regenerated ones), with the notes saying so. */
function pointInputs(
  settings: SweepSettings,
  sweep: PreparedSweep,
): { evalData: LabeledImages; pointAttack: AttackSpec } {
  const { data, weights, config, notes } = sweep;
  const { attack } = settings;
  const fixed = settings.loss === 'adversarial' && settings.fixedExamples;
  const evalData = fixed
    ? fixedAdversarialData(data, weights, config, attack, settings.batchSize, settings.seed)
    : data;
  if (fixed)
    notes.push(
      'fixed-examples mode: adversarial examples were made once at θ and reused at every point (cheaper, not the regenerated adversarial loss)',
    );
  const pointAttack: AttackSpec = settings.loss === 'adversarial' && !fixed ? attack : { kind: 'none' };
  notes.push(...attackWarnings(attack));
  return { evalData, pointAttack };
}

/** A result with no point computed yet. */
function emptyResult(
  request: SampleRequest,
  sweep: PreparedSweep,
  built: BuiltDirection[],
  measuresRobust: boolean,
): LandscapeResult {
  const { settings } = request;
  const { checkpoint, data, config, notes, identity, recorded } = sweep;
  const { alphas, betas } = settings;
  return {
    schema: LANDSCAPE_SCHEMA,
    settings: recorded,
    identity,
    model: config,
    directions: built.map((b) => b.info),
    grid: { alphas, betas, layout: GRID_LAYOUT },
    values: {
      cleanLoss: emptyTable(alphas, betas),
      cleanAccuracy: emptyTable(alphas, betas),
      robustLoss: measuresRobust ? emptyTable(alphas, betas) : null,
      robustAccuracy: measuresRobust ? emptyTable(alphas, betas) : null,
    },
    shard: recordedShard(request.shard),
    complete: false,
    flatness: null,
    notes: [...notes],
    provenance: checkpointProvenance(request.backend, settings.seed, null, checkpoint, {
      spec: data.spec,
      count: data.shape[0],
    }),
  };
}

/** Computes the points this invocation lacks, rewriting the result (and --out) after each one. */
function samplePoints(
  request: SampleRequest,
  start: LandscapeResult,
  context: PointContext,
  started: number,
): LandscapeResult {
  const priorWallSeconds = request.resumeFrom?.provenance.wallSeconds ?? 0;
  const { alphas, betas } = request.settings;
  const columns = alphas.length;
  const points = shardPoints(columns * (betas?.length ?? 1), request.shard);
  const todo = points.filter((k) => start.values.cleanLoss[Math.floor(k / columns)]![k % columns] === null);
  let result = start;
  let done = points.length - todo.length;
  let computedNow = 0;
  for (const k of todo) {
    computePoint(result.values, k, context);
    done++;
    computedNow++;
    result = finish(result, priorWallSeconds, started);
    if (request.out !== undefined) writeFileAtomic(request.out, `${JSON.stringify(result, null, 2)}\n`);
    request.onPoint?.(done, points.length);
    request.onResult?.(result);
    if (request.stopAfterPoints !== undefined && computedNow >= request.stopAfterPoints) break;
  }
  result = finish(result, priorWallSeconds, started);
  if (request.out !== undefined) writeFileAtomic(request.out, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

const shardName = (shard: Shard | null | undefined) =>
  shard === null || shard === undefined ? 'the whole sweep' : `shard ${shard.index}/${shard.count}`;

/** A resumed file must be the same shard: its points would otherwise be mixed with another shard's. */
function checkResumedShard(resumeFrom: LandscapeResult | undefined, request: SampleRequest): void {
  if (resumeFrom === undefined) return;
  const had = resumeFrom.shard;
  const want = request.shard;
  if ((had?.index ?? -1) === (want?.index ?? -1) && (had?.count ?? -1) === (want?.count ?? -1)) return;
  throw new WeightscapeError(
    'bad-argument',
    `--resume: ${request.out ?? 'the result'} holds ${shardName(had)}, not ${shardName(want)}; give it the same --shard or another --out`,
  );
}

/** A 1D or 2D sweep (or its shard, or the rest of a resumed one) as a landscape result. */
export function sampleLandscape(request: SampleRequest): LandscapeResult {
  const started = performance.now();
  const { settings } = request;
  checkResumedShard(request.resumeFrom, request);
  const sweep = prepareSweep(request);
  try {
    // The file is this sweep's (same shard, same identity): say what it already holds.
    if (request.resumeFrom !== undefined) request.onResume?.(shardProgress(request.resumeFrom, request.shard));
    const built = sweepDirections(request, sweep);
    try {
      const { evalData, pointAttack } = pointInputs(settings, sweep);
      // A resumed result keeps its points, now under the canonical settings; who computed them
      // before (workers) is not this run.
      const { resumeFrom } = request;
      const start =
        resumeFrom !== undefined
          ? { ...resumeFrom, settings: sweep.recorded, identity: sweep.identity, workers: undefined }
          : emptyResult(request, sweep, built, pointAttack.kind !== 'none');
      const context: PointContext = {
        settings: sweep.recorded,
        weights: sweep.weights,
        config: sweep.config,
        data: sweep.data,
        evalData,
        pointAttack,
        d1: built[0]!.direction,
        d2: built[1]?.direction,
      };
      return samplePoints(request, start, context, started);
    } finally {
      disposeDirections(built);
    }
  } finally {
    sweep.dispose();
  }
}

/**
 * Completeness, flatness of complete 1D sweeps (null with a note when the grid does not define it),
 * and the wall time so far (over all invocations).
 */
export function finish(result: LandscapeResult, priorWallSeconds: number, started: number): LandscapeResult {
  const complete = result.values.cleanLoss.every((row) => row.every((v) => v !== null));
  const oneD = result.grid.betas === null;
  const undefinedReason = flatnessUndefinedReason(result.grid.alphas);
  const flatness =
    complete && oneD && undefinedReason === null
      ? {
          clean: flatness1d(result.grid.alphas, result.values.cleanLoss[0]! as number[]),
          adversarial: result.values.robustLoss
            ? flatness1d(result.grid.alphas, result.values.robustLoss[0]! as number[])
            : null,
        }
      : null;
  const notes =
    complete && oneD && undefinedReason !== null && !result.notes.includes(undefinedReason)
      ? [...result.notes, undefinedReason]
      : result.notes;
  return {
    ...result,
    complete,
    flatness,
    notes,
    provenance: { ...result.provenance, wallSeconds: priorWallSeconds + (performance.now() - started) / 1000 },
  };
}
