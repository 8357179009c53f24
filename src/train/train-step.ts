/**
 * One training step on a batch, for each method with or without AWP, as in the reference code:
 * adversarial examples are made on θ (PGD-AT: BatchNorm in train mode, as robust_overfitting and
 * AWP's AT code do; TRADES and MART: eval mode, as their code does); AWP perturbs θ by v; the
 * loss and its gradient are taken at θ + v (train mode, whose BatchNorm statistics are kept);
 * the optimizer steps θ with that gradient.
 */
import * as tf from '@tensorflow/tfjs';
import type { AttackSpec } from '../attacks/attack-spec.ts';
import { runAttack } from '../attacks/run-attack.ts';
import { modelFunction } from '../models/engine-registry.ts';
import type { TrainingGradients } from '../models/model-function.ts';
import type { ModelConfig, ModelWeights, TensorMap } from '../models/types.ts';
import { addPerturbation, awpPerturbation } from './awp.ts';
import { sgdStep, type SgdSettings } from './sgd.ts';
import { martLoss, meanCrossEntropy, tradesLoss, type Method } from './training-loss.ts';

export interface StepSettings {
  method: Method;
  attack: AttackSpec;
  /** TRADES and MART: weight of the robust term. */
  beta: number;
  /** 0 turns AWP off. */
  awpGamma: number;
  awpSteps: number;
  sgd: SgdSettings;
  /** Seed of this batch's random choices (attack start, dropout). */
  seed: number;
  /** Tests: a fixed adversarial-example start (PGD start or TRADES' noise) instead of a random one. */
  attackStart?: tf.Tensor4D;
}

export interface StepResult {
  weights: ModelWeights;
  buffers: TensorMap;
  loss: number;
  /** The AWP perturbation's relative size per layer, ‖v_l‖/‖θ_l‖ (empty without AWP). */
  perturbationRatios: Record<string, number>;
}

/** A batch as a training step sees it: clean inputs, the adversarial examples made on θ, labels. */
export interface StepBatch {
  x: tf.Tensor4D;
  xAdv: tf.Tensor4D;
  labels: tf.Tensor1D;
}

/** Adversarial examples on θ for the method (x itself for standard training). */
export function trainingExamples(
  config: ModelConfig,
  weights: ModelWeights,
  x: tf.Tensor4D,
  labels: tf.Tensor1D,
  settings: StepSettings,
): tf.Tensor4D {
  if (settings.method === 'standard' || settings.attack.kind === 'none') return tf.clone(x);
  const model = modelFunction(config, weights, { training: settings.method === 'pgd-at', seed: settings.seed });
  const attack: AttackSpec =
    settings.method === 'trades' && settings.attack.kind === 'pgd'
      ? { kind: 'trades', eps: settings.attack.eps, step: settings.attack.step, steps: settings.attack.steps }
      : settings.attack;
  const xAdv = runAttack(attack, model, x, labels, settings.seed, settings.attackStart);
  return xAdv;
}

/** The method's training loss at `params` (train mode); returns the loss and the new BatchNorm state. */
export function methodLoss(
  config: ModelConfig,
  params: TensorMap,
  state: TensorMap,
  { x, xAdv, labels }: StepBatch,
  settings: StepSettings,
): { loss: tf.Scalar; state: TensorMap } {
  const model = modelFunction(config, { params, state }, { training: true, seed: settings.seed });
  const forward = (input: tf.Tensor4D, s: TensorMap, seedOffset: number) =>
    model.forward(input, { state: s, seed: settings.seed + seedOffset });
  if (settings.method === 'standard' || settings.method === 'pgd-at') {
    const out = forward(settings.method === 'standard' ? x : xAdv, state, 0);
    return { loss: meanCrossEntropy(out.logits, labels), state: out.state };
  }
  const clean = forward(x, state, 0);
  const adv = forward(xAdv, clean.state, 1);
  const loss =
    settings.method === 'trades'
      ? tradesLoss(clean.logits, adv.logits, labels, settings.beta)
      : martLoss(clean.logits, adv.logits, labels, settings.beta);
  return { loss, state: adv.state };
}

/** The method's training loss at `params`, its gradient for every parameter and the BatchNorm state it leaves. */
function lossAndGradients(
  config: ModelConfig,
  params: TensorMap,
  state: TensorMap,
  batch: StepBatch,
  settings: StepSettings,
): TrainingGradients {
  const { x, xAdv, labels } = batch;
  const model = modelFunction(config, { params, state }, { training: true, seed: settings.seed });
  if (settings.method === 'standard' || settings.method === 'pgd-at') {
    return model.trainingGradients(settings.method === 'standard' ? x : xAdv, labels);
  }
  return model.methodGradients(settings.method, x, xAdv, labels, settings.beta);
}

/** One step; inputs stay owned by the caller, the result's tensors are new. */
export function trainStep(
  config: ModelConfig,
  weights: ModelWeights,
  buffers: TensorMap,
  x: tf.Tensor4D,
  labels: tf.Tensor1D,
  settings: StepSettings,
): StepResult {
  const xAdv = trainingExamples(config, weights, x, labels, settings);
  const batch: StepBatch = { x, xAdv, labels };
  const perturbationRatios: Record<string, number> = {};
  const { grads, state, loss } = tf.tidy(() => {
    const awpGradients = (p: TensorMap) => {
      const result = lossAndGradients(config, p, weights.state, batch, settings);
      tf.dispose([result.loss, ...Object.values(result.state)]);
      return result.grads;
    };
    const v =
      settings.awpGamma > 0 ? awpPerturbation(weights.params, awpGradients, settings.awpGamma, settings.awpSteps) : {};
    for (const [name, d] of Object.entries(v)) {
      perturbationRatios[name] = tf.div(tf.norm(d), tf.norm(weights.params[name]!)).dataSync()[0]!;
    }
    return lossAndGradients(config, addPerturbation(weights.params, v), weights.state, batch, settings);
  });
  xAdv.dispose();
  const lossValue = loss.dataSync()[0]!;
  loss.dispose();
  const next = sgdStep(weights.params, grads, buffers, settings.sgd);
  tf.dispose(Object.values(grads));
  // Models without BatchNorm return an empty state; the trainer keeps the previous one then.
  return { weights: { params: next.params, state }, buffers: next.buffers, loss: lossValue, perturbationRatios };
}
