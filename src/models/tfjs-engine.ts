/** The tfjs engine: every model function runs the architecture's tfjs forward on the active backend. */
import * as tf from '@tensorflow/tfjs';
import { crossEntropyPerExample } from './loss.ts';
import type { Engine, ModelFunction } from './model-function.ts';
import { modelFor } from './registry.ts';
import { tfjsHessianVectorProduct } from './tfjs-hessian-vector-product.ts';
import type { ForwardOptions, ModelConfig, ModelWeights } from './types.ts';

/** The model function by tfjs (autodiff for the gradients). */
export function tfjsModelFunction(config: ModelConfig, weights: ModelWeights, options: ForwardOptions): ModelFunction {
  const model = modelFor(config);
  const forward: ModelFunction['forward'] = (x, at = {}) =>
    model.forward(
      { params: at.params ?? weights.params, state: at.state ?? weights.state },
      x,
      at.seed === undefined ? options : { ...options, seed: at.seed },
    );
  return {
    forward,
    logits: (x) => forward(x).logits,
    crossEntropyInputGradient: (x, labels) =>
      tf.grad((input: tf.Tensor) => tf.sum(crossEntropyPerExample(forward(input as tf.Tensor4D).logits, labels)))(
        x,
      ) as tf.Tensor4D,
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
  };
}

export const tfjsEngine: Engine = {
  name: 'tfjs',
  record: {},
  modelFunction: tfjsModelFunction,
  dispose() {},
};
