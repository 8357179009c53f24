/**
 * The one model-function interface every engine implements: a model bound to (config, weights,
 * mode) offering its logits, the input gradient of the summed cross-entropy (attacks), and the
 * parameter gradients with the new BatchNorm statistics of the training cross-entropy (training
 * steps). Losses no engine computes natively (CW margin, TRADES' KL, MART, AWP's proxy, the
 * Hessian) use `forward`, the tfjs forward that every engine also offers, by tfjs autodiff.
 * Callers never ask which engine answers.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ForwardOptions, ForwardResult, ModelConfig, ModelWeights, TensorMap } from './types.ts';

/** A type, not an interface, so that tf.tidy can return it (a tensor container). */
export type TrainingGradients = {
  /** Mean cross-entropy over the batch. */
  loss: tf.Scalar;
  grads: TensorMap;
  /** The new BatchNorm running statistics (empty for models without BatchNorm). */
  state: TensorMap;
};

/** What `forward` may substitute for the bound weights and seed. */
export interface ForwardAt {
  params?: TensorMap;
  state?: TensorMap;
  seed?: number;
}

export interface ModelFunction {
  /** The logits (not differentiable by tfjs on every engine: use `forward` for that). */
  logits(x: tf.Tensor4D): tf.Tensor2D;
  /** ∂(Σ_i CE_i)/∂x: each example's own gradient, independent of the batch size. */
  crossEntropyInputGradient(x: tf.Tensor4D, labels: tf.Tensor1D): tf.Tensor4D;
  /**
   * Mean cross-entropy at (x, labels) in training mode (dropout by the bound seed), its gradient
   * for every parameter, and the BatchNorm statistics that forward leaves.
   */
  trainingGradients(x: tf.Tensor4D, labels: tf.Tensor1D): TrainingGradients;
  /**
   * H·v, the Hessian of the mean cross-entropy at (x, labels) with respect to the parameters
   * times v, exact (forward-over-reverse), in the bound mode: BatchNorm running statistics in
   * eval, the batch's in training (dropout by the bound seed). v and H·v by parameter name.
   */
  hessianVectorProduct(x: tf.Tensor4D, labels: tf.Tensor1D, v: TensorMap): TensorMap;
  /** The tfjs forward (differentiable by tfjs) at the bound weights, or with parts substituted. */
  forward(x: tf.Tensor4D, at?: ForwardAt): ForwardResult;
  /**
   * BatchNorm recalibration: the running statistics after a training-mode forward of x when they
   * are the cumulative average over `count` earlier batches (m = 1/(count + 1), unbiased batch
   * variance); empty for models without BatchNorm.
   */
  cumulativeBatchNormState(x: tf.Tensor4D, count: number): TensorMap;
}

/** What a result records about the engine (merged into its provenance's `backend`). */
export interface EngineRecord {
  onnxruntime?: { version: string; threads: number };
  /** Why onnxruntime is off, when it was asked for. */
  onnxruntimeOff?: string;
}

export interface Engine {
  name: 'tfjs' | 'onnxruntime';
  record: EngineRecord;
  /** The model function of (config, weights, mode); weights stay owned by the caller. */
  modelFunction(config: ModelConfig, weights: ModelWeights, options: ForwardOptions): ModelFunction;
  /** Frees what the engine holds (sessions); a disposed engine is not used again. */
  dispose(): void;
}
