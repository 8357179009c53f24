/**
 * Exact second-order analysis of a checkpoint: the Hessian of the mean cross-entropy over a set of
 * examples (clean, or adversarial examples made at θ and then held fixed), its top eigenvalues by
 * Lanczos, trace by Hutchinson, spectral density by stochastic Lanczos quadrature, and per
 * parameter tensor (its diagonal block) the top eigenvalue and trace. Every product is exact
 * (model-hessian-operator.ts). A value that did not converge is kept with converged: false and a
 * note, never passed off as converged.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { attackWarnings, formatAttack, usualAttack, type AttackSpec } from '../attacks/attack-spec.ts';
import { runAttack } from '../attacks/run-attack.ts';
import type { BackendInfo } from '../backend/select-backend.ts';
import type { ModelConfigRequest } from '../checkpoints/model-config.ts';
import type { DataSpec, Split } from '../data/dataset.ts';
import { WeightscapeError } from '../errors.ts';
import { tensorBatches } from '../data/tensor-batches.ts';
import { openEvaluation, type TrainingSubset } from '../eval/open-evaluation.ts';
import { modelFunction } from '../models/engine-registry.ts';
import { HESSIAN_SCHEMA, type HessianResult } from '../results/hessian-schema.ts';
import { checkpointProvenance } from '../results/provenance.ts';
import { blockOperator, type HessianOperator } from './hessian-operator.ts';
import { hutchinsonTrace } from './hutchinson-trace.ts';
import { topEigenpairs, type Eigenpair, type TopEigenpairs } from './lanczos.ts';
import { modelHessianOperator, type HessianBatch } from './model-hessian-operator.ts';
import { spectralDensity } from './spectral-density.ts';

export type { HessianResult } from '../results/hessian-schema.ts';

export interface HessianRequest {
  checkpoint: string;
  data: DataSpec;
  split: Split;
  subset?: number;
  trainingSubset?: TrainingSubset | null;
  batchSize: number;
  loss: 'clean' | 'adversarial';
  /** The attack making the adversarial examples (default: PGD-10 at the data's usual eps). */
  attack?: AttackSpec;
  bn: 'eval' | 'train';
  topK: number;
  tolerance: number;
  maxIterations: number;
  trace: { probes: number } | null;
  density: { runs: number; steps: number; sigma: number; points: number } | null;
  perLayer: boolean;
  seed: number;
  model: ModelConfigRequest;
  backend: BackendInfo;
  /** What is running and how many Hessian-vector products it has made. */
  onProgress?: (phase: string, products: number) => void;
}

/** An eigenpair as results record it: a relative residual is undefined (null) at λ = 0. */
function recorded(pair: Eigenpair): { value: number; residual: number | null; converged: boolean } {
  const finite = Number.isFinite(pair.residual);
  return { value: pair.value, residual: finite ? pair.residual : null, converged: finite && pair.converged };
}

/** A converged-or-not eigenvalue's note, naming where it came from. */
function convergenceNotes(where: string, eigen: TopEigenpairs, tolerance: number): string[] {
  return eigen.values.flatMap((pair, i) =>
    pair.converged
      ? []
      : [
          `${where} eigenvalue ${i + 1} did not converge in ${eigen.iterations} Lanczos iterations ` +
            `(relative residual ${pair.residual.toExponential(2)} > ${tolerance}): ${pair.value} is an estimate`,
        ],
  );
}

/** The batches the Hessian is taken on: clean, or adversarial examples made once at θ. */
function lossBatches(
  request: HessianRequest,
  opened: ReturnType<typeof openEvaluation>,
  attack: AttackSpec | null,
): HessianBatch[] {
  const batches = tensorBatches(opened.data[0]!, request.batchSize);
  if (attack === null) return batches;
  const model = modelFunction(opened.config, opened.weights, { training: false });
  return batches.map(({ x, labels }, b) => {
    const xAdv = runAttack(attack, model, x, labels, request.seed * 7 + b);
    x.dispose();
    return { x: xAdv, labels };
  });
}

/** Lanczos keeps every vector it makes: refuse a run whose basis would not fit, before any product. */
function checkBasisMemory(request: HessianRequest, parameters: number): void {
  const vectors = Math.max(request.maxIterations + request.topK, request.density?.steps ?? 0);
  const bytes = vectors * parameters * 4;
  if (bytes > os.totalmem() / 2)
    throw new WeightscapeError(
      'bad-argument',
      `--max-iterations ${request.maxIterations}: Lanczos keeps ${vectors} vectors of ${parameters} parameters ` +
        `(${(bytes / 2 ** 30).toFixed(1)} GiB), more than half of this machine's memory; use fewer iterations`,
    );
}

export function analyzeHessian(request: HessianRequest): HessianResult {
  const started = performance.now();
  const opened = openEvaluation({ ...request, splits: [request.split] });
  const { checkpoint, config, weights, notes } = opened;
  try {
    checkBasisMemory(
      request,
      Object.values(weights.params).reduce((n, t) => n + t.size, 0),
    );
  } catch (error) {
    opened.dispose();
    throw error;
  }
  const data = opened.data[0]!;
  const attack = request.loss === 'adversarial' ? (request.attack ?? usualAttack(request.data.kind, 10)) : null;
  if (attack !== null) notes.push(...attackWarnings(attack));
  let phase = 'eigenvalues';
  const batches = lossBatches(request, opened, attack);
  try {
    const op = modelHessianOperator(config, weights, batches, {
      bn: request.bn,
      seed: request.seed,
      onProduct: (products) => request.onProgress?.(phase, products),
    });
    const lanczos = { tolerance: request.tolerance, maxIterations: request.maxIterations, seed: request.seed };
    const eigen = topEigenpairs(op, { ...lanczos, k: request.topK });
    notes.push(...convergenceNotes('top', eigen, request.tolerance));
    phase = 'trace';
    const trace = request.trace === null ? null : hutchinsonTrace(op, { ...request.trace, seed: request.seed });
    phase = 'density';
    const density = request.density === null ? null : spectralDensity(op, { ...request.density, seed: request.seed });
    const perLayer = request.perLayer ? perLayerAnalysis(op, request, notes, (p) => (phase = p)) : null;
    return {
      schema: HESSIAN_SCHEMA,
      provenance: checkpointProvenance(request.backend, request.seed, started, checkpoint, {
        spec: data.spec,
        count: data.shape[0],
      }),
      model: config,
      settings: {
        checkpoint: request.checkpoint,
        data: request.data.text,
        examples: data.shape[0],
        batchSize: request.batchSize,
        ...(request.trainingSubset ? { trainingSubset: request.trainingSubset } : {}),
        loss: request.loss,
        attack: attack === null ? null : formatAttack(attack),
        bn: request.bn,
        topK: request.topK,
        tolerance: request.tolerance,
        maxIterations: request.maxIterations,
        seed: request.seed,
        trace: request.trace,
        density: request.density,
        perLayer: request.perLayer,
      },
      eigenvalues: eigen.values.map((pair, index) => ({ index: index + 1, ...recorded(pair) })),
      lanczos: { iterations: eigen.iterations, hessianVectorProducts: eigen.operatorApplications },
      trace,
      density:
        density === null
          ? null
          : { grid: density.grid, density: density.density, runs: density.runs, sigma: density.sigma },
      perLayer,
      notes,
    };
  } finally {
    tf.dispose(batches.flatMap((b) => [b.x, b.labels]));
    opened.dispose();
  }
}

/** Each parameter tensor's diagonal block: its top eigenvalue, and its trace when the whole's is asked for. */
function perLayerAnalysis(
  op: HessianOperator,
  request: HessianRequest,
  notes: string[],
  setPhase: (phase: string) => void,
): NonNullable<HessianResult['perLayer']> {
  return op.blocks.map((block) => {
    setPhase(`per-layer ${block.name}`);
    const blockOp = blockOperator(op, block);
    const eigen = topEigenpairs(blockOp, {
      k: 1,
      tolerance: request.tolerance,
      maxIterations: request.maxIterations,
      seed: request.seed,
    });
    notes.push(...convergenceNotes(block.name, eigen, request.tolerance));
    const top = eigen.values[0]!;
    return {
      name: block.name,
      parameters: block.length,
      topEigenvalue: { ...recorded(top), iterations: eigen.iterations },
      trace: request.trace === null ? null : hutchinsonTrace(blockOp, { ...request.trace, seed: request.seed }),
    };
  });
}
