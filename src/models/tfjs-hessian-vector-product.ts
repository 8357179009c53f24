/**
 * The exact Hessian-vector product on tfjs: H·v = ∇_θ ⟨∇_θ L, v⟩, the gradient of the loss's
 * directional derivative, which a dual-number pass (tangent-context.ts) computes in forward mode.
 * L is the mean cross-entropy, whose tangent is mean_i Σ_k (softmax(z_i) − onehot_i)_k · ż_ik.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelFunction } from './model-function.ts';
import { modelFor } from './registry.ts';
import { TangentContext, type PoolMasks } from './tangent-context.ts';
import type { ForwardOptions, ModelConfig, ModelWeights, TensorMap } from './types.ts';

/** H·v of the mean cross-entropy at (x, labels), by parameter name. */
export function tfjsHessianVectorProduct(
  config: ModelConfig,
  weights: ModelWeights,
  options: ForwardOptions,
  ...[x, labels, v]: Parameters<ModelFunction['hessianVectorProduct']>
): TensorMap {
  const model = modelFor(config);
  const names = Object.keys(weights.params);
  const pool: PoolMasks = { mode: 'record', masks: [] };
  tf.tidy(() => {
    model.network(new TangentContext(weights, undefined, options, pool), { value: x, tangent: undefined });
  });
  pool.mode = 'replay';
  try {
    const grads = tf.tidy(() =>
      tf.grads((...ps: tf.Tensor[]) => {
        const params = Object.fromEntries(names.map((n, i) => [n, ps[i]!]));
        const context = new TangentContext({ params, state: weights.state }, v, options, pool);
        const { value: logits, tangent } = model.network(context, { value: x, tangent: undefined });
        if (tangent === undefined) return tf.scalar(0);
        const residual = tf.sub(tf.softmax(logits as tf.Tensor2D), tf.oneHot(labels, config.classes));
        return tf.div(tf.sum(tf.mul(residual, tangent)), x.shape[0]) as tf.Scalar;
      })(names.map((n) => weights.params[n]!)),
    );
    return Object.fromEntries(names.map((n, i) => [n, grads[i]!]));
  } finally {
    tf.dispose(pool.masks);
  }
}
