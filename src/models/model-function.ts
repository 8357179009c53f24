/**
 * The one model-function interface every engine implements: a model bound to (config, weights,
 * mode) offering its logits, the input gradients of the attacks' losses (cross-entropy, TRADES'
 * KL, CW margin), and the parameter gradients with the new BatchNorm statistics of the training
 * losses (cross-entropy, TRADES, MART), BatchNorm recalibration's statistics and exact
 * Hessian-vector products. `forward`, the tfjs forward every engine also offers, serves what
 * differentiates the network itself by tfjs autodiff. Callers never ask which engine answers.
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

/** The losses APGD ascends: the cross-entropy and the DLR loss, untargeted or towards target classes. */
export type InputObjective = 'cross-entropy' | 'dlr' | 'dlr-targeted';

/** One attack step's reading at x: the loss per example, the logits, ∂(Σ_i loss_i)/∂x. */
export type InputLossGradient = { loss: tf.Tensor1D; logits: tf.Tensor2D; gradient: tf.Tensor4D };

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
   * ∂(Σ_i CE(targets_i, f(x_i)))/∂x for target distributions [N, K]: with targets = softmax of
   * the clean logits, the gradient of TRADES' Σ_i KL(p_i ‖ softmax f(x_i)) (the entropy of p is constant).
   */
  softCrossEntropyInputGradient(x: tf.Tensor4D, targets: tf.Tensor2D): tf.Tensor4D;
  /** ∂(Σ_i max_{j≠y} z_j − z_y)/∂x, the CW margin's (the argmax held fixed). */
  marginInputGradient(x: tf.Tensor4D, labels: tf.Tensor1D): tf.Tensor4D;
  /**
   * The loss per example, the logits and the loss's input gradient in one pass (APGD's step);
   * `targetLabels` are DLR-targeted's target classes. DLR's ranks are held fixed (loss.ts).
   */
  lossAndInputGradient(
    x: tf.Tensor4D,
    labels: tf.Tensor1D,
    objective: InputObjective,
    targetLabels?: tf.Tensor1D,
  ): InputLossGradient;
  /**
   * TRADES' or MART's training loss (training-loss.ts) at clean x and adversarial xAdv in
   * training mode: two passes on the bound weights, the clean one with the bound seed and state,
   * the adversarial one with seed + 1 and the state the clean one left; the loss, its gradient
   * for every parameter and the BatchNorm statistics after both passes.
   */
  methodGradients(
    method: 'trades' | 'mart',
    x: tf.Tensor4D,
    xAdv: tf.Tensor4D,
    labels: tf.Tensor1D,
    beta: number,
  ): TrainingGradients;
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
