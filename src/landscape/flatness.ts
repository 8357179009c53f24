/**
 * Flatness measures of a checkpoint, each on the clean and on the adversarial loss:
 * - average-case: L(θ + ρ·d_m) − L(θ) over M random filter-normalized directions (mean, max);
 * - worst-case: the increase along the adversarial (AWP) direction, filter-normalized, at its own
 *   (smaller) radius ρ_adv: at the random directions' ρ it would be tens of AWP bounds;
 * - curvature: mean over the random directions of (L(θ + ρd) + L(θ − ρd) − 2L(θ))/ρ²;
 * - the top (largest algebraic) Hessian eigenvalue, by Lanczos on exact Hessian-vector products
 *   (adversarial: on examples fixed at θ).
 * Adversarial losses regenerate the examples at every perturbed point. With `--attack none` only
 * the clean measures exist: the adversarial ones are null, with a note.
 */
import * as tf from '@tensorflow/tfjs';
import { attackWarnings, formatAttack, usualAttack, type AttackSpec } from '../attacks/attack-spec.ts';
import { runAttack } from '../attacks/run-attack.ts';
import type { BackendInfo } from '../backend/select-backend.ts';
import type { ModelConfigRequest } from '../checkpoints/model-config.ts';
import { buildDirection } from '../directions/build-direction.ts';
import type { DataSpec, LabeledImages, Split } from '../data/dataset.ts';
import { tensorBatches } from '../data/tensor-batches.ts';
import { openEvaluation, type TrainingSubset } from '../eval/open-evaluation.ts';
import { evaluateSplit, type SplitMetrics } from '../eval/split-metrics.ts';
import { modelFunction } from '../models/engine-registry.ts';
import type { ModelConfig, ModelWeights, TensorMap } from '../models/types.ts';
import { checkpointProvenance } from '../results/provenance.ts';

import { shardPoints, recordedShard, type Shard } from '../cluster/shard-spec.ts';
import { WeightscapeError } from '../errors.ts';
import { FLATNESS_SCHEMA, type FlatnessResult } from '../results/flatness-schema.ts';
import {
  directionCurvature,
  flatnessMeasures,
  type DirectionNumbers,
  type Eigen,
  type FlatnessKind,
  type FlatnessParts,
} from './flatness-measures.ts';

export type { FlatnessResult, LossFlatness } from '../results/flatness-schema.ts';

export interface FlatnessRequest {
  checkpoint: string;
  data: DataSpec;
  split: Split;
  subset?: number;
  /** The examples the model trained on (see OpenRequest). */
  trainingSubset?: TrainingSubset | null;
  rho: number;
  rhoAdversarial: number;
  directions: number;
  /** Default: PGD-10 at the data's usual eps. */
  attack?: AttackSpec;
  hessian: boolean;
  hessianBatches: number;
  batchSize: number;
  seed: number;
  model: ModelConfigRequest;
  backend: BackendInfo;
  /**
   * Compute only the random directions m ≡ index (mod count) (and, on shard 0 only, the
   * adversarial direction and the Hessian eigenvalues); join the shards with mergeFlatness.
   */
  shard?: Shard;
  onProgress?: (done: number, total: number) => void;
}

type Kind = FlatnessKind;
type Measure = (params: TensorMap) => SplitMetrics;
type ProbeBatch = { x: tf.Tensor4D; labels: tf.Tensor1D; xAdv: tf.Tensor4D };
/** What the steps share: the opened model, its data, the attack, and the progress tick. */
interface FlatnessContext {
  request: FlatnessRequest;
  weights: ModelWeights;
  config: ModelConfig;
  data: LabeledImages;
  attack: AttackSpec;
  adversarial: boolean;
  tick: () => void;
}

function moved(params: TensorMap, d: TensorMap, step: number): TensorMap {
  return tf.tidy(() => Object.fromEntries(Object.entries(params).map(([n, p]) => [n, tf.add(p, tf.mul(d[n]!, step))])));
}

/** The first batches of the data with their adversarial examples at θ (directions and Hessian use them). */
function probeBatches({ request, weights, config, data, attack }: FlatnessContext): ProbeBatch[] {
  const logitsFn = modelFunction(config, weights, { training: false });
  // With --attack none, runAttack returns a copy of the clean inputs.
  return tensorBatches(data, request.batchSize, request.hessianBatches).map(({ x, labels }, b) => ({
    x,
    labels,
    xAdv: runAttack(attack, logitsFn, x, labels, request.seed * 7 + b),
  }));
}

/** Per random filter-normalized direction of this shard (all without one): increases at +ρ and curvatures from ±ρ. */
function randomDirectionIncreases(
  context: FlatnessContext,
  measure: Measure,
  base: SplitMetrics,
  directions: number[],
): DirectionNumbers[] {
  const { request, weights, config, adversarial } = context;
  return directions.map((m) => {
    // A filter-normalized Gaussian direction needs no data.
    const { direction } = buildDirection(
      { kind: 'filter' },
      { weights, config, batches: [], includeBn: false, seed: request.seed * 1000 + m + 1, adversarialLoss: false },
    );
    const [plus, minus] = [1, -1].map((sign) => {
      const params = moved(weights.params, direction, sign * request.rho);
      const metrics = measure(params);
      tf.dispose(Object.values(params));
      context.tick();
      return metrics;
    }) as [SplitMetrics, SplitMetrics];
    tf.dispose(Object.values(direction));
    const robust = (metrics: SplitMetrics) => metrics.robust!.loss;
    return {
      m,
      clean: plus.clean.loss - base.clean.loss,
      adversarial: adversarial ? robust(plus) - robust(base) : null,
      curvature: {
        clean: directionCurvature(plus.clean.loss, minus.clean.loss, base.clean.loss, request.rho),
        adversarial: adversarial ? directionCurvature(robust(plus), robust(minus), robust(base), request.rho) : null,
      },
    };
  });
}

/** The metrics at θ + ρ_adv·v, v the filter-normalized adversarial (AWP) direction. */
function adversarialDirectionMetrics(
  { request, weights, config, adversarial, tick }: FlatnessContext,
  batches: ProbeBatch[],
  measure: Measure,
): SplitMetrics {
  const { direction: adversarialDirection } = buildDirection(
    { kind: 'adversarial' },
    { weights, config, batches, includeBn: false, seed: request.seed, adversarialLoss: adversarial },
  );
  const worstParams = moved(weights.params, adversarialDirection, request.rhoAdversarial);
  const worst = measure(worstParams);
  tf.dispose([...Object.values(worstParams), ...Object.values(adversarialDirection)]);
  tick();
  return worst;
}

/** The top Hessian eigenvalue of each loss (null without --hessian); a non-converged one gets a note. */
function hessianEigenvalues(
  { request, weights, config, tick }: FlatnessContext,
  batches: ProbeBatch[],
  kinds: readonly Kind[],
  notes: string[],
): Record<Kind, Eigen> {
  const eigen: Record<Kind, Eigen> = {
    clean: { value: null, converged: null },
    adversarial: { value: null, converged: null },
  };
  if (!request.hessian) return eigen;
  for (const kind of kinds) {
    const { info, direction } = buildDirection(
      { kind: 'hessian' },
      { weights, config, batches, includeBn: false, seed: request.seed, adversarialLoss: kind === 'adversarial' },
    );
    tf.dispose(Object.values(direction));
    eigen[kind] = { value: info.eigenvalue ?? null, converged: info.converged ?? null };
    if (info.converged === false)
      notes.push(
        `${kind} Hessian eigenvalue did not converge in ${info.iterations} Lanczos iterations ` +
          `(residual ${info.residual?.toExponential(2)}): ${info.eigenvalue} is an estimate`,
      );
    tick();
  }
  return eigen;
}

/** The numbers the measures are made of: θ, this shard's directions, and (whole run or shard 0) the worst and eigen. */
function measuredParts(
  context: FlatnessContext,
  measure: Measure,
  base: SplitMetrics,
  directions: number[],
  whole: boolean,
  notes: string[],
): FlatnessParts {
  const { adversarial } = context;
  const kinds = adversarial ? (['clean', 'adversarial'] as const) : (['clean'] as const);
  const loss = (m: SplitMetrics): Record<Kind, number | null> => ({
    clean: m.clean.loss,
    adversarial: adversarial ? m.robust!.loss : null,
  });
  const atTheta = loss(base);
  // Made before the directions, in the order of a one-process run before shards.
  const batches = whole ? probeBatches(context) : [];
  try {
    const perDirection = randomDirectionIncreases(context, measure, base, directions);
    if (!whole) return { adversarial, atTheta, perDirection, worst: null, eigen: null };
    const worstLoss = loss(adversarialDirectionMetrics(context, batches, measure));
    const worst = {
      clean: worstLoss.clean! - atTheta.clean!,
      adversarial: adversarial ? worstLoss.adversarial! - atTheta.adversarial! : null,
    };
    return { adversarial, atTheta, perDirection, worst, eigen: hessianEigenvalues(context, batches, kinds, notes) };
  } finally {
    tf.dispose(batches.flatMap((b) => [b.x, b.xAdv, b.labels]));
  }
}

/** The note of a shard result: what it measured and what it did not. */
export function shardNote(shard: Shard, directions: number[]): string {
  const whole = shard.index === 0 ? '' : "; the adversarial direction and the Hessian eigenvalues are shard 0's (null)";
  return (
    `shard ${shard.index}/${shard.count}: measures over random directions ${directions.join(', ')} only${whole}; ` +
    "not the run's figures: join the shards with weightscape merge"
  );
}

/** A shard's directions, refused (exit 2) when it would have none. */
function shardDirections(request: FlatnessRequest): number[] {
  const { shard, directions } = request;
  if (shard !== undefined && shard.count > directions)
    throw new WeightscapeError(
      'bad-argument',
      `--shard ${shard.index}/${shard.count}: more shards than --directions ${directions}; use at most ${directions}`,
    );
  return shardPoints(directions, shard);
}

/**
 * Average- and worst-case flatness, curvature and the top Hessian eigenvalue of a checkpoint, clean and adversarial;
 * with a shard, over its share of the random directions (see FlatnessRequest.shard).
 */
export function measureFlatness(request: FlatnessRequest): FlatnessResult {
  const started = performance.now();
  const directions = shardDirections(request);
  // Shard 0 (or the whole run) also computes the adversarial direction and the Hessian: one unit of work each.
  const whole = (request.shard?.index ?? 0) === 0;
  const opened = openEvaluation({ ...request, splits: [request.split] });
  try {
    const { checkpoint, config, weights, notes } = opened;
    const data = opened.data[0]!;
    const attack = request.attack ?? usualAttack(request.data.kind, 10);
    notes.push(...attackWarnings(attack));
    const adversarial = attack.kind !== 'none';
    if (!adversarial)
      notes.push(
        '--attack none: the adversarial measures are not computed (null), and the adversarial (AWP) direction is the ascent direction of the clean loss',
      );
    const measure = (params: TensorMap): SplitMetrics =>
      evaluateSplit({
        weights: { params, state: weights.state },
        config,
        data,
        attack,
        batchSize: request.batchSize,
        seed: request.seed,
      });
    const kinds = adversarial ? (['clean', 'adversarial'] as const) : (['clean'] as const);
    const total = 1 + 2 * directions.length + (whole ? 1 + (request.hessian ? kinds.length : 0) : 0);
    let done = 0;
    const context: FlatnessContext = {
      request,
      weights,
      config,
      data,
      attack,
      adversarial,
      tick: () => request.onProgress?.(++done, total),
    };
    const base = measure(weights.params);
    context.tick();
    const parts = measuredParts(context, measure, base, directions, whole, notes);
    if (request.shard !== undefined) notes.push(shardNote(request.shard, directions));
    return {
      schema: FLATNESS_SCHEMA,
      settings: {
        checkpoint: request.checkpoint,
        data: request.data.text,
        split: request.split,
        subset: request.subset ?? null,
        ...(request.trainingSubset ? { trainingSubset: request.trainingSubset } : {}),
        rho: request.rho,
        rhoAdversarial: request.rhoAdversarial,
        directions: request.directions,
        attack: formatAttack(attack),
        hessian: request.hessian,
        hessianBatches: request.hessianBatches,
        seed: request.seed,
      },
      model: config,
      shard: recordedShard(request.shard),
      ...flatnessMeasures(parts),
      perDirection: parts.perDirection,
      notes,
      provenance: checkpointProvenance(request.backend, request.seed, started, checkpoint, {
        spec: data.spec,
        count: data.shape[0],
      }),
    };
  } finally {
    opened.dispose();
  }
}
