/**
 * The benchmark's workloads, batch 128 of random images, on the two models of the issue:
 * TRADES' convnet (28×28×1) and a narrow preact-resnet18 (width 16, 32×32×3). Each workload runs
 * weightscape's own code path (the functions the CLI commands call) and ends by reading a scalar,
 * so its time includes all the work. bench/torch_workloads.py runs the same in PyTorch.
 */
import * as tf from '@tensorflow/tfjs';
import type { PgdSpec } from '../src/attacks/attack-spec.ts';
import { pgdAttack } from '../src/attacks/pgd.ts';
import { modelFunction } from '../src/models/engine-registry.ts';
import type { ModelConfig, TensorMap } from '../src/models/types.ts';
import { initWeights } from '../src/train/init-weights.ts';
import { trainStep, type StepSettings } from '../src/train/train-step.ts';

export const BENCH_BATCH = 128;
export const PGD10: PgdSpec = {
  kind: 'pgd',
  norm: 'linf',
  eps: 8 / 255,
  step: 2 / 255,
  steps: 10,
  randomStart: true,
  restarts: 1,
  loss: 'ce',
};
/** What `weightscape sample --attack` takes for the same attack. */
export const PGD10_FLAG = 'pgd:linf:eps=0.0313725:steps=10:step=0.00784314';

export const BENCH_MODELS: Array<{ name: string; config: ModelConfig }> = [
  {
    name: 'convnet',
    config: {
      arch: 'convnet',
      options: { width: 32, hidden: 200, dropout: 0.5 },
      input: { height: 28, width: 28, channels: 1 },
      classes: 10,
    },
  },
  {
    name: 'preact-resnet18 (width 16)',
    config: {
      arch: 'preact-resnet18',
      options: { width: 16 },
      input: { height: 32, width: 32, channels: 3 },
      classes: 10,
    },
  },
];

/** The full-width preact-resnet18 (11.2 M parameters), for the second-order workloads only. */
export const FULL_WIDTH_MODEL: { name: string; config: ModelConfig } = {
  name: 'preact-resnet18 (width 64)',
  config: {
    arch: 'preact-resnet18',
    options: { width: 64 },
    input: { height: 32, width: 32, channels: 3 },
    classes: 10,
  },
};

/**
 * The full-size models users run, each at the batch its benchmark uses (WideResNet-34-10 at 32: its
 * activations at 128 would need several GiB per pass on both sides).
 */
export const FULL_SIZE_MODELS: Array<{ name: string; config: ModelConfig; batch: number }> = [
  { ...FULL_WIDTH_MODEL, batch: 128 },
  {
    name: 'wide-resnet-34-10',
    config: {
      arch: 'wide-resnet',
      options: { depth: 34, widen: 10 },
      input: { height: 32, width: 32, channels: 3 },
      classes: 10,
    },
    batch: 32,
  },
];

/** The attacks of issue 20 (bench/attack-workloads.ts), on the full-width preact-resnet18 only. */
export const ATTACK_WORKLOADS = ['apgd-ce', 'autoattack', 'square'] as const;
export type AttackWorkload = (typeof ATTACK_WORKLOADS)[number];

/**
 * The full-size workloads: in-process ones of modelWorkloads, the two kinds of landscape point and
 * the attack workloads.
 */
export const FULL_SIZE_WORKLOADS = [
  'pgd-10',
  'landscape point',
  'clean grid point',
  'awp step',
  'trades+awp step',
  'mart step',
  'hessian-vector product',
  ...ATTACK_WORKLOADS,
] as const;
export type FullSizeWorkload = (typeof FULL_SIZE_WORKLOADS)[number];

export const WORKLOAD_NAMES = [
  'forward',
  'input gradient',
  'weight step',
  'pgd-10',
  'awp step',
  'trades+awp step',
  'mart step',
  'parameter gradient',
  'hessian-vector product',
] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];
/** The training steps with an attack inside (seconds each on the WASM engine: three timed runs). */
export const TRAINING_STEP_WORKLOADS: readonly WorkloadName[] = ['awp step', 'trades+awp step', 'mart step'];
/** The workloads of the HVP/gradient cost ratio. */
export const SECOND_ORDER_WORKLOADS: readonly WorkloadName[] = ['parameter gradient', 'hessian-vector product'];

const SGD = { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 };
const STANDARD_STEP: StepSettings = {
  method: 'standard',
  attack: { kind: 'none' },
  beta: 6,
  awpGamma: 0,
  awpSteps: 1,
  sgd: SGD,
  seed: 0,
};
const AWP_STEP: StepSettings = {
  method: 'pgd-at',
  attack: PGD10,
  beta: 6,
  awpGamma: 0.01,
  awpSteps: 1,
  sgd: SGD,
  seed: 0,
};
// TRADES + AWP (the seed's strongest configuration): TRADES' KL attack (PGD-10's budget, eval
// mode) and loss, β = 6, AWP γ = 0.01; MART: PGD-10 in eval mode, β = 6, no AWP.
const TRADES_AWP_STEP: StepSettings = { ...AWP_STEP, method: 'trades' };
const MART_STEP: StepSettings = { ...AWP_STEP, method: 'mart', awpGamma: 0 };

export interface ModelWorkloads {
  run: Record<WorkloadName, () => void>;
  dispose(): void;
}

/**
 * The in-process workloads of one model. The training steps start from the same weights
 * every run (a step's result is disposed), so every run does the same work.
 */
export function modelWorkloads(config: ModelConfig, batch = BENCH_BATCH): ModelWorkloads {
  const weights = initWeights(config, 1);
  const { height, width, channels } = config.input;
  const x = tf.randomUniform([batch, height, width, channels], 0, 1, 'float32', 3) as tf.Tensor4D;
  const labels = tf.tensor1d(
    Array.from({ length: batch }, (_, i) => i % config.classes),
    'int32',
  );
  const model = modelFunction(config, weights, { training: false });
  // One gradient as each engine computes it: the training cross-entropy's (BatchNorm batch statistics).
  const trainingModel = modelFunction(config, weights, { training: true, seed: 0 });
  // A fixed random direction for the Hessian-vector product (BatchNorm in eval mode, the default).
  const direction = Object.fromEntries(
    Object.entries(weights.params).map(([name, p], i) => [name, tf.randomNormal(p.shape, 0, 1, 'float32', 7 + i)]),
  );
  const inputGradient = () => model.crossEntropyInputGradient(x, labels);
  const step = (settings: StepSettings) => {
    const result = trainStep(config, weights, {}, x, labels, settings);
    disposeWeights(result.weights);
    tf.dispose(Object.values(result.buffers));
  };
  const readScalar = (f: () => tf.Tensor) => {
    tf.tidy(() => f().dataSync());
  };
  const readSum = (tensors: TensorMap) => {
    readScalar(() => tf.addN(Object.values(tensors).map((t) => tf.sum(t))));
    tf.dispose(Object.values(tensors));
  };
  return {
    run: {
      forward: () => readScalar(() => tf.sum(model.logits(x))),
      'input gradient': () => readScalar(() => tf.sum(inputGradient())),
      'weight step': () => step(STANDARD_STEP),
      'pgd-10': () => {
        const xAdv = pgdAttack(model, x, labels, PGD10, 0);
        readScalar(() => tf.sum(xAdv));
        xAdv.dispose();
      },
      'awp step': () => step(AWP_STEP),
      'trades+awp step': () => step(TRADES_AWP_STEP),
      'mart step': () => step(MART_STEP),
      'parameter gradient': () => {
        const { loss, grads, state } = trainingModel.trainingGradients(x, labels);
        readSum(grads);
        tf.dispose([loss, ...Object.values(state)]);
      },
      'hessian-vector product': () => readSum(model.hessianVectorProduct(x, labels, direction)),
    },
    dispose: () => {
      disposeWeights(weights);
      tf.dispose([x, labels, ...Object.values(direction)]);
    },
  };
}

function disposeWeights({ params, state }: { params: TensorMap; state: TensorMap }): void {
  tf.dispose([...Object.values(params), ...Object.values(state)]);
}
