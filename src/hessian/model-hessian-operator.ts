/**
 * The Hessian of a model's mean cross-entropy over a set of examples with respect to its
 * parameters, as a linear operator on the flattened parameters: each application is one exact
 * Hessian-vector product per batch on the active engine (forward-over-reverse on onnxruntime,
 * reverse-over-forward on tfjs), weighted by the batch's share of the examples. The weights are
 * fixed; BatchNorm uses running statistics (eval) or each batch's own (train).
 */
import * as tf from '@tensorflow/tfjs';
import { modelFunction } from '../models/engine-registry.ts';
import type { ModelConfig, ModelWeights, TensorMap } from '../models/types.ts';
import type { HessianOperator } from './hessian-operator.ts';

export interface HessianBatch {
  x: tf.Tensor4D;
  labels: tf.Tensor1D;
}

export interface ModelHessianOptions {
  /** BatchNorm statistics: the running ones (eval, the default) or each batch's (train). */
  bn: 'eval' | 'train';
  /** Dropout seed in train mode (the same masks at every product). */
  seed?: number;
  /** Called after each product with the number made so far. */
  onProduct?: (products: number) => void;
}

/** The parameters' blocks in flattening order (the weights' own order). */
export function parameterBlocks(params: TensorMap): HessianOperator['blocks'] {
  let offset = 0;
  return Object.entries(params).map(([name, t]) => {
    const block = { name, offset, length: t.size };
    offset += t.size;
    return block;
  });
}

/** A flat parameter vector as tensors by name, each shaped like its parameter (new tensors). */
export function unflatten(flat: Float32Array, blocks: HessianOperator['blocks'], params: TensorMap): TensorMap {
  return Object.fromEntries(
    blocks.map(({ name, offset, length }) => [
      name,
      tf.tensor(flat.subarray(offset, offset + length), params[name]!.shape, 'float32'),
    ]),
  );
}

/** The Hessian operator of (config, weights) on `batches`; the caller keeps owning the tensors. */
export function modelHessianOperator(
  config: ModelConfig,
  weights: ModelWeights,
  batches: HessianBatch[],
  { bn, seed, onProduct }: ModelHessianOptions,
): HessianOperator {
  if (batches.length === 0) throw new Error('Hessian operator: no examples');
  const blocks = parameterBlocks(weights.params);
  const size = blocks.reduce((n, b) => n + b.length, 0);
  const total = batches.reduce((n, b) => n + b.x.shape[0], 0);
  const model = modelFunction(config, weights, { training: bn === 'train', seed });
  let products = 0;
  return {
    size,
    blocks,
    apply(v) {
      if (v.length !== size) throw new Error(`Hessian operator: a vector of ${v.length} for ${size} parameters`);
      const direction = unflatten(v, blocks, weights.params);
      const out = new Float32Array(size);
      try {
        for (const { x, labels } of batches) {
          const share = x.shape[0] / total;
          const product = model.hessianVectorProduct(x, labels, direction);
          for (const { name, offset } of blocks) {
            const values = product[name]!.dataSync();
            for (let i = 0; i < values.length; i++) out[offset + i]! += share * values[i]!;
          }
          tf.dispose(Object.values(product));
        }
      } finally {
        tf.dispose(Object.values(direction));
      }
      onProduct?.(++products);
      return out;
    },
  };
}
