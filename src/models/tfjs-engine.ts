/** The tfjs engine: every model function runs the architecture's tfjs forward on the active backend. */
import * as tf from '@tensorflow/tfjs';
import {
  crossEntropyPerExample,
  cwMarginPerExample,
  dlrPerExample,
  dlrVectors,
  softCrossEntropyPerExample,
} from './loss.ts';
import type { Engine, InputLossGradient, ModelFunction, TrainingGradients } from './model-function.ts';
import { modelFor } from './registry.ts';
import { tfjsHessianVectorProduct } from './tfjs-hessian-vector-product.ts';
import { martLoss, tradesLoss } from './training-loss.ts';
import type { ForwardOptions, ModelConfig, ModelWeights, TensorMap } from './types.ts';

/** The model function by tfjs (autodiff for the gradients). */
export function tfjsModelFunction(config: ModelConfig, weights: ModelWeights, options: ForwardOptions): ModelFunction {
  const model = modelFor(config);
  const forward: ModelFunction['forward'] = (x, at = {}) =>
    model.forward(
      { params: at.params ?? weights.params, state: at.state ?? weights.state },
      x,
      at.seed === undefined ? options : { ...options, seed: at.seed },
    );
  // ∂(Σ_i loss_i)/∂x: each example's own gradient.
  const inputGradient = (x: tf.Tensor4D, perExample: (logits: tf.Tensor2D) => tf.Tensor1D) =>
    tf.grad((input: tf.Tensor) => tf.sum(perExample(forward(input as tf.Tensor4D).logits)))(x) as tf.Tensor4D;
  return {
    forward,
    logits: (x) => forward(x).logits,
    crossEntropyInputGradient: (x, labels) => inputGradient(x, (logits) => crossEntropyPerExample(logits, labels)),
    softCrossEntropyInputGradient: (x, targets) =>
      inputGradient(x, (logits) => softCrossEntropyPerExample(logits, targets)),
    marginInputGradient: (x, labels) => inputGradient(x, (logits) => cwMarginPerExample(logits, labels)),
    lossAndInputGradient(x, labels, objective, targetLabels) {
      // DLR's ranks come from a forward of their own, outside the tape (tf.topk has no gradient).
      const fixed =
        objective === 'cross-entropy'
          ? undefined
          : tf.tidy(() => dlrVectors(forward(x).logits, labels, objective === 'dlr' ? undefined : targetLabels));
      const kept: Partial<InputLossGradient> = {};
      const gradient = tf.grad((input: tf.Tensor) => {
        const logits = forward(input as tf.Tensor4D).logits;
        const loss = fixed === undefined ? crossEntropyPerExample(logits, labels) : dlrPerExample(logits, fixed);
        kept.logits = tf.keep(logits);
        kept.loss = tf.keep(loss);
        return tf.sum(loss);
      })(x) as tf.Tensor4D;
      if (fixed !== undefined) tf.dispose([fixed.a, fixed.d]);
      return { loss: kept.loss!, logits: kept.logits!, gradient };
    },
    hessianVectorProduct: (x, labels, v) => tfjsHessianVectorProduct(config, weights, options, x, labels, v),
    trainingGradients(x, labels) {
      const names = Object.keys(weights.params);
      const training = { ...options, training: true };
      let state = {};
      const { value, grads } = tf.valueAndGrads((...ps: tf.Tensor[]) => {
        const out = model.forward(
          { params: Object.fromEntries(names.map((n, i) => [n, ps[i]!])), state: weights.state },
          x,
          training,
        );
        // valueAndGrads disposes what its function made; the new BatchNorm statistics must survive.
        state = Object.fromEntries(Object.entries(out.state).map(([k, t]) => [k, tf.keep(t)]));
        return tf.mean(crossEntropyPerExample(out.logits, labels)) as tf.Scalar;
      })(names.map((n) => weights.params[n]!));
      return { loss: value, grads: Object.fromEntries(names.map((n, i) => [n, grads[i]!])), state };
    },
    cumulativeBatchNormState: (x, count) =>
      tf.tidy(() => model.forward(weights, x, { ...options, training: true, bnCumulativeCount: count }).state),
    methodGradients: (method, x, xAdv, labels, beta) =>
      tfjsMethodGradients(model, weights, options, { method, x, xAdv, labels, beta }),
  };
}

/**
 * TRADES' or MART's loss by tfjs autodiff: the clean pass with the bound seed and state, the
 * adversarial one with seed + 1 and the state the clean pass left.
 */
function tfjsMethodGradients(
  model: ReturnType<typeof modelFor>,
  weights: ModelWeights,
  options: ForwardOptions,
  batch: { method: 'trades' | 'mart'; x: tf.Tensor4D; xAdv: tf.Tensor4D; labels: tf.Tensor1D; beta: number },
): TrainingGradients {
  const names = Object.keys(weights.params);
  const seed = options.seed ?? 0;
  let state: TensorMap = {};
  const { value, grads } = tf.valueAndGrads((...ps: tf.Tensor[]) => {
    const params = Object.fromEntries(names.map((n, i) => [n, ps[i]!]));
    const clean = model.forward({ params, state: weights.state }, batch.x, { ...options, training: true, seed });
    const adv = model.forward({ params, state: clean.state }, batch.xAdv, {
      ...options,
      training: true,
      seed: seed + 1,
    });
    // valueAndGrads disposes what its function made; the new BatchNorm statistics must survive.
    state = Object.fromEntries(Object.entries(adv.state).map(([k, t]) => [k, tf.keep(t)]));
    const loss = batch.method === 'trades' ? tradesLoss : martLoss;
    return loss(clean.logits, adv.logits, batch.labels, batch.beta);
  })(names.map((n) => weights.params[n]!));
  return { loss: value, grads: Object.fromEntries(names.map((n, i) => [n, grads[i]!])), state };
}

export const tfjsEngine: Engine = {
  name: 'tfjs',
  record: {},
  modelFunction: tfjsModelFunction,
  dispose() {},
};
