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

import { FLATNESS_SCHEMA, type FlatnessResult, type LossFlatness } from '../results/flatness-schema.ts';

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
  onProgress?: (done: number, total: number) => void;
}

type Kind = 'clean' | 'adversarial';
type Measure = (params: TensorMap) => SplitMetrics;
type ProbeBatch = { x: tf.Tensor4D; labels: tf.Tensor1D; xAdv: tf.Tensor4D };
interface Eigen {
  value: number | null;
  converged: boolean | null;
}
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

/** Per random filter-normalized direction: the increases at +ρ and the curvatures from ±ρ. */
function randomDirectionIncreases(
  context: FlatnessContext,
  batches: ProbeBatch[],
  measure: Measure,
  base: SplitMetrics,
) {
  const { request, weights, config, adversarial } = context;
  const perDirection: Array<{ clean: number; adversarial: number | null }> = [];
  const curvatures = { clean: [] as number[], adversarial: [] as number[] };
  for (let m = 0; m < request.directions; m++) {
    const { direction } = buildDirection(
      { kind: 'filter' },
      { weights, config, batches, includeBn: false, seed: request.seed * 1000 + m + 1, adversarialLoss: false },
    );
    const [plus, minus] = [1, -1].map((sign) => {
      const params = moved(weights.params, direction, sign * request.rho);
      const metrics = measure(params);
      tf.dispose(Object.values(params));
      context.tick();
      return metrics;
    }) as [SplitMetrics, SplitMetrics];
    tf.dispose(Object.values(direction));
    perDirection.push({
      clean: plus.clean.loss - base.clean.loss,
      adversarial: adversarial ? plus.robust!.loss - base.robust!.loss : null,
    });
    curvatures.clean.push((plus.clean.loss + minus.clean.loss - 2 * base.clean.loss) / request.rho ** 2);
    if (adversarial)
      curvatures.adversarial.push((plus.robust!.loss + minus.robust!.loss - 2 * base.robust!.loss) / request.rho ** 2);
  }
  return { perDirection, curvatures };
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

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The measures of one loss from the steps' numbers. */
function lossFlatness(
  kind: Kind,
  base: SplitMetrics,
  worst: SplitMetrics,
  increases: ReturnType<typeof randomDirectionIncreases>,
  eigen: Eigen,
): LossFlatness {
  const loss = (m: SplitMetrics) => (kind === 'clean' ? m.clean.loss : m.robust!.loss);
  const perDirection = increases.perDirection.map((p) => p[kind]!);
  return {
    atTheta: loss(base),
    averageIncrease: mean(perDirection),
    maxIncrease: Math.max(...perDirection),
    adversarialDirectionIncrease: loss(worst) - loss(base),
    curvature: mean(increases.curvatures[kind]),
    hessianTopEigenvalue: eigen.value,
    hessianConverged: eigen.converged,
  };
}

/**
 * Average- and worst-case flatness, curvature and the top Hessian eigenvalue of a checkpoint, clean and adversarial.
 */
export function measureFlatness(request: FlatnessRequest): FlatnessResult {
  const started = performance.now();
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
    const total = 1 + 2 * request.directions + 1 + (request.hessian ? kinds.length : 0);
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
    const batches = probeBatches(context);
    try {
      const increases = randomDirectionIncreases(context, batches, measure, base);
      const worst = adversarialDirectionMetrics(context, batches, measure);
      const eigen = hessianEigenvalues(context, batches, kinds, notes);
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
        clean: lossFlatness('clean', base, worst, increases, eigen.clean),
        adversarial: adversarial ? lossFlatness('adversarial', base, worst, increases, eigen.adversarial) : null,
        perDirection: increases.perDirection,
        notes,
        provenance: checkpointProvenance(request.backend, request.seed, started, checkpoint, {
          spec: data.spec,
          count: data.shape[0],
        }),
      };
    } finally {
      tf.dispose(batches.flatMap((b) => [b.x, b.xAdv, b.labels]));
    }
  } finally {
    opened.dispose();
  }
}
