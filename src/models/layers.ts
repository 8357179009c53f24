/**
 * The layer vocabulary the architectures are written in. One network definition drives two
 * implementations: tfjs tensors (ForwardContext) and the ONNX graph that onnxruntime runs
 * (src/onnx/graph-layers.ts), so the two can never disagree about the architecture.
 */
import type { InputNormalization } from './types.ts';

export interface Layers<T> {
  /** (x − mean)/std per channel, or x itself without normalization. */
  normalizeInput(x: T, normalization: InputNormalization | undefined): T;
  /**
   * A PyTorch Conv2d with symmetric zero padding; `groups` (default 1) splits the channels into
   * groups convolved apart (groups = input channels: depthwise). Weight [out, in/groups, k, k].
   */
  conv(prefix: string, x: T, stride: number, padding: number, bias?: boolean, groups?: number): T;
  /** A PyTorch Linear (bias default true). */
  linear(prefix: string, x: T, bias?: boolean): T;
  /** BatchNorm2d: batch statistics in training, running statistics in eval. */
  batchNorm(prefix: string, x: T): T;
  /** Inverted dropout in training mode, a no-op in eval. */
  dropout(x: T, rate: number): T;
  relu(x: T): T;
  /** PyTorch's MaxPool2d: size×size windows (stride default size), padding that never wins (−∞). */
  maxPool(x: T, size: number, stride?: number, padding?: number): T;
  /** PyTorch's AvgPool2d: the zero padding counted in each window's mean (count_include_pad). */
  avgPool(x: T, size: number, stride?: number, padding?: number): T;
  /** Mean over H and W, keeping a 1×1 map (PyTorch's AdaptiveAvgPool2d(1)). */
  globalAvgPool(x: T): T;
  /** x for x > 0, alpha·x otherwise (gradient alpha at 0, as PyTorch's). */
  leakyRelu(x: T, alpha: number): T;
  /** PyTorch's hardtanh (ReLU6 = clip(x, 0, 6)): gradient 1 strictly between the bounds, 0 at and past them. */
  clip(x: T, min: number, max: number): T;
  sigmoid(x: T): T;
  /** Elementwise product: of one shape, or one side a per-channel 1×1 map of the other's batch (a gate). */
  mul(a: T, b: T): T;
  /** Concatenation along the channel axis (the feature axis of [N, F]). */
  concat(xs: T[]): T;
  add(a: T, b: T): T;
  /** PyTorch's x.view(N, −1) of an NCHW feature map. */
  flatten(x: T): T;
}
