/**
 * Flatness measures of a checkpoint, each on the clean and on the adversarial loss:
 * - average-case: L(θ + ρ·d_m) − L(θ) over M random filter-normalized directions (mean, max);
 * - worst-case: the increase along the adversarial (AWP) direction, filter-normalized, at its own
 *   (smaller) radius ρ_adv: at the random directions' ρ it would be tens of AWP bounds;
 * - curvature: mean over the random directions of (L(θ + ρd) + L(θ − ρd) − 2L(θ))/ρ²;
 * - the Hessian eigenvalue of largest magnitude (power iteration; it may be negative on the
 *   adversarial loss; adversarial: on examples fixed at θ).
 * Adversarial losses regenerate the examples at every perturbed point. With `--attack none` only
 * the clean measures exist: the adversarial ones are null, with a note.
 */
import * as tf from '@tensorflow/tfjs';
import { attackWarnings, formatAttack, parseAttack, usualAttack } from '../attacks/attack-spec.ts';
import { runAttack } from '../attacks/run-attack.ts';
import type { BackendInfo } from '../backend/select-backend.ts';
import { loadCheckpoint } from '../checkpoints/load-checkpoint.ts';
import { checkpointToWeights, disposeWeights } from '../checkpoints/map-to-model.ts';
import { resolveOrDetectModelConfig, type ModelConfigRequest } from '../checkpoints/model-config.ts';
import { buildDirection } from '../directions/build-direction.ts';
import { checkLabels, loadDataset, parseDataSpec, type Split } from '../data/dataset.ts';
import { tensorBatches } from '../data/tensor-batches.ts';
import { evaluateSplit, type SplitMetrics } from '../eval/split-metrics.ts';
import { modelFunction } from '../models/engine-registry.ts';
import type { TensorMap } from '../models/types.ts';
import { provenance } from '../results/provenance.ts';

import { FLATNESS_SCHEMA, type FlatnessResult, type LossFlatness } from '../results/flatness-schema.ts';

export type { FlatnessResult, LossFlatness } from '../results/flatness-schema.ts';


export interface FlatnessRequest {
  checkpoint: string; data: string; split: Split; subset?: number; rho: number; rhoAdversarial: number; directions: number; attack?: string;
  hessian: boolean; hessianBatches: number; batchSize: number; seed: number; model: ModelConfigRequest; backend: BackendInfo;
  onProgress?: (done: number, total: number) => void;
}

function moved(params: TensorMap, d: TensorMap, step: number): TensorMap {
  return tf.tidy(() => Object.fromEntries(Object.entries(params).map(([n, p]) => [n, tf.add(p, tf.mul(d[n]!, step))])));
}

export function measureFlatness(request: FlatnessRequest): FlatnessResult {
  const started = performance.now();
  const checkpoint = loadCheckpoint(request.checkpoint);
  const data = loadDataset(request.data, { split: request.split, subset: request.subset, seed: request.seed });
  const [, height, width, channels] = data.shape;
  const notes = [...checkpoint.notes];
  const config = resolveOrDetectModelConfig(checkpoint, { input: { height, width, channels }, data: request.data, ...request.model }, notes);
  checkLabels(data, config.classes);
  const attack = request.attack === undefined ? usualAttack(parseDataSpec(request.data).kind, 10) : parseAttack(request.attack);
  notes.push(...attackWarnings(attack));
  const adversarial = attack.kind !== 'none';
  if (!adversarial) notes.push('--attack none: the adversarial measures are not computed (null), and the adversarial (AWP) direction is the ascent direction of the clean loss');
  const { weights } = checkpointToWeights(checkpoint, config);
  const measure = (params: TensorMap): SplitMetrics => evaluateSplit({ weights: { params, state: weights.state }, config, data, attack, batchSize: request.batchSize, seed: request.seed });
  const kinds = adversarial ? (['clean', 'adversarial'] as const) : (['clean'] as const);
  const total = 1 + 2 * request.directions + 1 + (request.hessian ? kinds.length : 0);
  let done = 0;
  const tick = () => request.onProgress?.(++done, total);
  const base = measure(weights.params);
  tick();
  const logitsFn = modelFunction(config, weights, { training: false });
  // With --attack none, runAttack returns a copy of the clean inputs.
  const batches = tensorBatches(data, request.batchSize, request.hessianBatches).map(({ x, labels }, b) => ({ x, labels, xAdv: runAttack(attack, logitsFn, x, labels, request.seed * 7 + b) }));
  const perDirection: Array<{ clean: number; adversarial: number | null }> = [];
  const curvatures = { clean: [] as number[], adversarial: [] as number[] };
  for (let m = 0; m < request.directions; m++) {
    const { direction } = buildDirection({ kind: 'filter' }, { weights, config, batches, includeBn: false, seed: request.seed * 1000 + m + 1, adversarialLoss: false });
    const [plus, minus] = [1, -1].map((sign) => {
      const params = moved(weights.params, direction, sign * request.rho);
      const metrics = measure(params);
      tf.dispose(Object.values(params));
      tick();
      return metrics;
    }) as [SplitMetrics, SplitMetrics];
    tf.dispose(Object.values(direction));
    perDirection.push({ clean: plus.clean.loss - base.clean.loss, adversarial: adversarial ? plus.robust!.loss - base.robust!.loss : null });
    curvatures.clean.push((plus.clean.loss + minus.clean.loss - 2 * base.clean.loss) / request.rho ** 2);
    if (adversarial) curvatures.adversarial.push((plus.robust!.loss + minus.robust!.loss - 2 * base.robust!.loss) / request.rho ** 2);
  }
  const { direction: adversarialDirection } = buildDirection({ kind: 'adversarial' }, { weights, config, batches, includeBn: false, seed: request.seed, adversarialLoss: adversarial });
  const worstParams = moved(weights.params, adversarialDirection, request.rhoAdversarial);
  const worst = measure(worstParams);
  tf.dispose([...Object.values(worstParams), ...Object.values(adversarialDirection)]);
  tick();
  const eigen = { clean: { value: null as number | null, converged: null as boolean | null }, adversarial: { value: null as number | null, converged: null as boolean | null } };
  if (request.hessian) {
    for (const kind of kinds) {
      const { info, direction } = buildDirection({ kind: 'hessian' }, { weights, config, batches, includeBn: false, seed: request.seed, adversarialLoss: kind === 'adversarial' });
      tf.dispose(Object.values(direction));
      eigen[kind] = { value: info.eigenvalue ?? null, converged: info.converged ?? null };
      if (info.converged === false) notes.push(`${kind} Hessian power iteration did not converge in ${info.iterations} iterations: its eigenvalue ${info.eigenvalue} is an estimate`);
      tick();
    }
  }
  tf.dispose(batches.flatMap((b) => [b.x, b.xAdv, b.labels]));
  disposeWeights(weights);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const summary = (kind: 'clean' | 'adversarial'): LossFlatness => {
    const loss = (m: SplitMetrics) => (kind === 'clean' ? m.clean.loss : m.robust!.loss);
    const increases = perDirection.map((p) => p[kind]!);
    return {
      atTheta: loss(base),
      averageIncrease: mean(increases),
      maxIncrease: Math.max(...increases),
      adversarialDirectionIncrease: loss(worst) - loss(base),
      curvature: mean(curvatures[kind]),
      hessianTopEigenvalue: eigen[kind].value,
      hessianConverged: eigen[kind].converged,
    };
  };
  return {
    schema: FLATNESS_SCHEMA,
    settings: { checkpoint: request.checkpoint, data: request.data, split: request.split, subset: request.subset ?? null, rho: request.rho, rhoAdversarial: request.rhoAdversarial, directions: request.directions, attack: formatAttack(attack), hessian: request.hessian, hessianBatches: request.hessianBatches, seed: request.seed },
    model: config, clean: summary('clean'), adversarial: adversarial ? summary('adversarial') : null, perDirection, notes,
    provenance: provenance({ backend: request.backend, seed: request.seed, wallSeconds: (performance.now() - started) / 1000, checkpoint: { path: checkpoint.path, sha256: checkpoint.sha256, format: checkpoint.format }, data: { spec: data.spec, count: data.shape[0] } }),
  };
}
