/**
 * 1D and 2D loss landscapes: at every grid point the loss and accuracy of θ + α·d (+ β·e).
 * With the adversarial loss, the adversarial examples are regenerated against the perturbed
 * weights (or, with fixedExamples, made once at θ and reused, which the result says). BatchNorm
 * uses the checkpoint's running statistics (eval) or statistics recomputed at each point
 * (recalibrate). The result is rewritten atomically after every point; a resumed or sharded
 * sweep computes only the points it lacks.
 */
import * as tf from '@tensorflow/tfjs';
import { attackWarnings, parseAttack, usualAttack, type AttackSpec } from '../attacks/attack-spec.ts';
import { runAttack } from '../attacks/run-attack.ts';
import type { BackendInfo } from '../backend/select-backend.ts';
import { loadCheckpoint, type LoadedCheckpoint } from '../checkpoints/load-checkpoint.ts';
import { checkpointToWeights, disposeWeights } from '../checkpoints/map-to-model.ts';
import { resolveOrDetectModelConfig, type ModelConfigRequest } from '../checkpoints/model-config.ts';
import { buildDirection, needsBatches } from '../directions/build-direction.ts';
import { saveDirection } from '../directions/direction-file.ts';
import { parseDirection, type DirectionSpec } from '../directions/direction-spec.ts';
import { checkLabels, loadDataset, parseDataSpec, type LabeledImages } from '../data/dataset.ts';
import { tensorBatches } from '../data/tensor-batches.ts';
import { WeightscapeError } from '../errors.ts';
import { evaluateSplit } from '../eval/split-metrics.ts';
import { architecture } from '../models/registry.ts';
import { modelFunction } from '../models/engine-registry.ts';
import type { ModelConfig, ModelWeights, TensorMap } from '../models/types.ts';
import { writeFileAtomic } from '../results/atomic-write.ts';
import { provenance } from '../results/provenance.ts';
import { flatness1d, flatnessUndefinedReason } from './flatness-1d.ts';
import { emptyTable, shardPoints, type Shard } from './grid.ts';
import { checkSameSweep, DIRECTION_BATCHES, sweepIdentity, type SweepIdentity } from './sweep-identity.ts';

import { LANDSCAPE_SCHEMA, type LandscapeResult, type LandscapeSettings } from '../results/landscape-schema.ts';

export type { LandscapeResult, LandscapeSettings } from '../results/landscape-schema.ts';
export type { Table } from '../results/schema-parts.ts';


export interface SampleRequest {
  settings: LandscapeSettings;
  model: ModelConfigRequest;
  backend: BackendInfo;
  shard?: Shard;
  /** Write the partial result here after every point. */
  out?: string;
  /** A partial result of the same settings to continue. */
  resumeFrom?: LandscapeResult;
  saveDirections?: Array<string | undefined>;
  onPoint?: (done: number, total: number) => void;
  /** Called with the partial result after every point (workers report through it). */
  onResult?: (result: LandscapeResult) => void;
  /** Tests: stop (as if killed) after this many points of this invocation. */
  stopAfterPoints?: number;
}

export const GRID_LAYOUT = 'values[i_beta][i_alpha]; alpha along directions[0], beta along directions[1]; 1D sweeps have one row';

/** Adversarial versions of every image, made once at θ (the fixed-examples mode). */
function fixedAdversarialData(data: LabeledImages, weights: ModelWeights, config: ModelConfig, attack: AttackSpec, batchSize: number, seed: number): LabeledImages {
  const logitsFn = modelFunction(config, weights, { training: false });
  const images = new Float32Array(data.images.length);
  let offset = 0;
  tensorBatches(data, batchSize, Infinity).forEach(({ x, labels }, b) => {
    const xAdv = runAttack(attack, logitsFn, x, labels, seed * 100_003 + b);
    const values = xAdv.dataSync();
    images.set(values, offset);
    offset += values.length;
    tf.dispose([x, labels, xAdv]);
  });
  return { ...data, images, spec: `${data.spec} (adversarial examples fixed at θ)` };
}

/** BatchNorm statistics recomputed at the perturbed weights: cumulative average over batches. */
function recalibratedState(params: TensorMap, state: TensorMap, config: ModelConfig, data: LabeledImages, batchSize: number, batches: number): TensorMap {
  const net = architecture(config.arch);
  let current = state;
  tensorBatches(data, batchSize, batches).forEach(({ x, labels }, i) => {
    const next = tf.tidy(() => {
      const { state: s } = net.forward({ params, state: current }, x, config as ModelConfig<never>, { training: true, bnCumulativeCount: i });
      return s;
    });
    if (current !== state) tf.dispose(Object.values(current));
    current = Object.keys(next).length > 0 ? next : current;
    tf.dispose([x, labels]);
  });
  return current;
}

/** What a sweep loads and resolves before computing anything: enough to know its identity. */
interface PreparedSweep {
  checkpoint: LoadedCheckpoint;
  data: LabeledImages;
  config: ModelConfig;
  detectionNotes: string[];
  attack: AttackSpec;
  directionAttack: AttackSpec;
  specs: DirectionSpec[];
  identity: SweepIdentity;
}

/**
 * Loads the checkpoint and data, resolves the model and computes the sweep's identity; with
 * resumeFrom, refuses (before anything is built or written) a file of another sweep.
 */
export function prepareSweep(request: Pick<SampleRequest, 'settings' | 'model' | 'resumeFrom' | 'out'>): PreparedSweep {
  const { settings } = request;
  if (settings.directions.length < 1 || settings.directions.length > 2 || (settings.directions.length === 2) !== (settings.betas !== null)) {
    throw new WeightscapeError('bad-argument', 'sample: give one direction with --range, or two with --range and --range2');
  }
  const specs = settings.directions.map(parseDirection);
  const checkpoint = loadCheckpoint(settings.checkpoint);
  const data = loadDataset(settings.data, { split: settings.split, subset: settings.subset ?? undefined, seed: settings.seed });
  const [, height, width, channels] = data.shape;
  const detectionNotes: string[] = [];
  const config = resolveOrDetectModelConfig(checkpoint, { input: { height, width, channels }, data: settings.data, ...request.model }, detectionNotes);
  checkLabels(data, config.classes);
  const attack = parseAttack(settings.attack);
  if (settings.loss === 'adversarial' && attack.kind === 'none') throw new WeightscapeError('bad-argument', '--loss adversarial needs an --attack');
  const directionAttack = attack.kind === 'none' ? usualAttack(parseDataSpec(settings.data).kind, 10) : attack;
  const identity = sweepIdentity({ checkpointSha256: checkpoint.sha256, config, data, split: settings.split, subset: settings.subset, seed: settings.seed, batchSize: settings.batchSize, directions: specs, directionAttack });
  if (request.resumeFrom !== undefined) {
    checkSameSweep(request.out ?? 'the resumed result', request.resumeFrom, { settings, identity }, 'this run (--resume)');
  }
  return { checkpoint, data, config, detectionNotes, attack, directionAttack, specs, identity };
}

export function sampleLandscape(request: SampleRequest): LandscapeResult {
  const started = performance.now();
  const { settings } = request;
  const { checkpoint, data, config, detectionNotes, attack, directionAttack, specs, identity } = prepareSweep(request);
  const { weights, notes } = checkpointToWeights(checkpoint, config);
  notes.unshift(...detectionNotes);

  // Data-dependent directions (adversarial, hessian) use the first batches of the sweep's data.
  const logitsFn = modelFunction(config, weights, { training: false });
  // Random and file directions need no data: no attack runs for them.
  const probeBatches = !specs.some(needsBatches) ? []
    : tensorBatches(data, settings.batchSize, DIRECTION_BATCHES).map(({ x, labels }, b) => ({ x, labels, xAdv: runAttack(directionAttack, logitsFn, x, labels, settings.seed * 7 + b) }));
  const built = specs.map((spec, i) => buildDirection(spec, {
    weights, config, batches: probeBatches, includeBn: settings.includeBn, seed: settings.seed * 1000 + i + 1, adversarialLoss: settings.loss === 'adversarial',
  }));
  tf.dispose(probeBatches.flatMap((b) => [b.x, b.xAdv, b.labels]));
  built.forEach(({ direction, info }, i) => {
    const path = request.saveDirections?.[i];
    if (path !== undefined) saveDirection(path, direction, config, { spec: info.spec, normalization: info.normalization, seed: String(info.seed), checkpointSha256: checkpoint.sha256 });
  });
  const fixed = settings.loss === 'adversarial' && settings.fixedExamples;
  const evalData = fixed ? fixedAdversarialData(data, weights, config, attack, settings.batchSize, settings.seed) : data;
  if (fixed) notes.push('fixed-examples mode: adversarial examples were made once at θ and reused at every point (cheaper, not the regenerated adversarial loss)');
  const pointAttack: AttackSpec = settings.loss === 'adversarial' && !fixed ? attack : { kind: 'none' };
  notes.push(...attackWarnings(attack));

  const { alphas, betas } = settings;
  const measuresRobust = pointAttack.kind !== 'none';
  // A resumed result keeps its points; who computed them before (workers) is not this run.
  let result: LandscapeResult = request.resumeFrom !== undefined ? { ...request.resumeFrom, workers: undefined } : {
    schema: LANDSCAPE_SCHEMA, settings, identity, model: config, directions: built.map((b) => b.info),
    grid: { alphas, betas, layout: GRID_LAYOUT },
    values: { cleanLoss: emptyTable(alphas, betas), cleanAccuracy: emptyTable(alphas, betas), robustLoss: measuresRobust ? emptyTable(alphas, betas) : null, robustAccuracy: measuresRobust ? emptyTable(alphas, betas) : null },
    shard: request.shard ?? null, complete: false, flatness: null, notes: [...checkpoint.notes, ...notes],
    provenance: provenance({ backend: request.backend, seed: settings.seed, wallSeconds: 0, checkpoint: { path: checkpoint.path, sha256: checkpoint.sha256, format: checkpoint.format }, data: { spec: data.spec, count: data.shape[0] } }),
  };
  const priorWallSeconds = request.resumeFrom?.provenance.wallSeconds ?? 0;
  const points = shardPoints(alphas.length * (betas?.length ?? 1), request.shard);
  const todo = points.filter((k) => result.values.cleanLoss[Math.floor(k / alphas.length)]![k % alphas.length] === null);
  let done = points.length - todo.length;
  let computedNow = 0;
  const [d1, d2] = [built[0]!.direction, built[1]?.direction];
  for (const k of todo) {
    const [iBeta, iAlpha] = [Math.floor(k / alphas.length), k % alphas.length];
    const alpha = alphas[iAlpha]!;
    const beta = betas?.[iBeta] ?? 0;
    const params = tf.tidy(() => Object.fromEntries(Object.entries(weights.params).map(([n, p]) => {
      let moved = tf.add(p, tf.mul(d1[n]!, alpha));
      if (d2 !== undefined) moved = tf.add(moved, tf.mul(d2[n]!, beta));
      return [n, moved];
    })));
    const state = settings.bn === 'recalibrate' ? recalibratedState(params, weights.state, config, data, settings.batchSize, settings.recalibrationBatches) : weights.state;
    const metrics = evaluateSplit({ weights: { params, state }, config, data: evalData, attack: pointAttack, batchSize: settings.batchSize, seed: settings.seed });
    tf.dispose(Object.values(params));
    if (state !== weights.state) tf.dispose(Object.values(state));
    result.values.cleanLoss[iBeta]![iAlpha] = metrics.clean.loss;
    result.values.cleanAccuracy[iBeta]![iAlpha] = metrics.clean.accuracy;
    if (metrics.robust && result.values.robustLoss && result.values.robustAccuracy) {
      result.values.robustLoss[iBeta]![iAlpha] = metrics.robust.loss;
      result.values.robustAccuracy[iBeta]![iAlpha] = metrics.robust.accuracy;
    }
    done++;
    computedNow++;
    result = finish(result, priorWallSeconds, started);
    if (request.out !== undefined) writeFileAtomic(request.out, `${JSON.stringify(result, null, 2)}\n`);
    request.onPoint?.(done, points.length);
    request.onResult?.(result);
    if (request.stopAfterPoints !== undefined && computedNow >= request.stopAfterPoints) break;
  }
  disposeWeights(weights);
  built.forEach(({ direction }) => tf.dispose(Object.values(direction)));
  result = finish(result, priorWallSeconds, started);
  if (request.out !== undefined) writeFileAtomic(request.out, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

/**
 * Completeness, flatness of complete 1D sweeps (null with a note when the grid does not define it),
 * and the wall time so far (over all invocations).
 */
export function finish(result: LandscapeResult, priorWallSeconds: number, started: number): LandscapeResult {
  const complete = result.values.cleanLoss.every((row) => row.every((v) => v !== null));
  const oneD = result.grid.betas === null;
  const undefinedReason = flatnessUndefinedReason(result.grid.alphas);
  const flatness = complete && oneD && undefinedReason === null
    ? {
      clean: flatness1d(result.grid.alphas, result.values.cleanLoss[0]! as number[]),
      adversarial: result.values.robustLoss ? flatness1d(result.grid.alphas, result.values.robustLoss[0]! as number[]) : null,
    }
    : null;
  const notes = complete && oneD && undefinedReason !== null && !result.notes.includes(undefinedReason) ? [...result.notes, undefinedReason] : result.notes;
  return { ...result, complete, flatness, notes, provenance: { ...result.provenance, wallSeconds: priorWallSeconds + (performance.now() - started) / 1000 } };
}
