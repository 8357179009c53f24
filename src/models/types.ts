/** What every architecture provides: its tensors (PyTorch names and layouts) and a pure forward. */
import type * as tf from '@tensorflow/tfjs';
import type { Layers } from './layers.ts';

export type TensorMap = Record<string, tf.Tensor>;

/** How a checkpoint tensor is used; decides its layout conversion and whether it is trained. */
export type TensorRole =
  | 'conv-weight'
  | 'linear-weight'
  | 'bias'
  | 'bn-weight'
  | 'bn-bias'
  | 'bn-running-mean'
  | 'bn-running-var'
  | 'bn-count';

export interface TensorSpec {
  name: string;
  /** Shape in PyTorch's layout (OIHW convolutions, out×in linear weights). */
  shape: number[];
  role: TensorRole;
}

/** Trainable parameters (tfjs layout: HWIO, in×out) and BatchNorm state, both by PyTorch name. */
export interface ModelWeights {
  params: TensorMap;
  state: TensorMap;
}

export interface InputNormalization {
  mean: number[];
  std: number[];
}

export interface InputSpec {
  height: number;
  width: number;
  channels: number;
}

/** CIFAR-sized input, the default of the convolutional architectures. */
export const CIFAR_INPUT: Readonly<InputSpec> = { height: 32, width: 32, channels: 3 };

/** The architecture-independent part of a model's configuration. */
export interface ModelConfig<Options = Record<string, unknown>> {
  arch: string;
  options: Options;
  input: InputSpec;
  classes: number;
  /** Applied inside the model: x ← (x − mean)/std per channel. None by default. */
  normalization?: InputNormalization;
}

export interface ForwardOptions {
  training: boolean;
  /** Seed for dropout in training mode. */
  seed?: number;
  /**
   * BatchNorm recalibration: running statistics become the cumulative average of batch statistics,
   * r ← r + (batch − r)/(count + 1), instead of PyTorch's momentum update (count 0 replaces r).
   */
  bnCumulativeCount?: number;
}

export interface ForwardResult {
  logits: tf.Tensor2D;
  /** Training mode: the updated BatchNorm running statistics (PyTorch's momentum semantics). */
  state: TensorMap;
}

/** Tensor shapes by name, in PyTorch's layout (what architecture detection looks at). */
export type TensorShapes = Map<string, number[]>;

export interface Architecture<Options> {
  name: string;
  description: string;
  /** The input size when neither the checkpoint nor the user states one. */
  defaultInput: InputSpec;
  /**
   * Configurations a set of tensor shapes may be of, read off characteristic tensors (loose
   * options; detection keeps the one whose full spec list matches exactly).
   */
  candidates(shapes: TensorShapes): ModelConfig[];
  /** Tensors the reference code saves but the forward pass never reads: loaded with this note. */
  unusedTensors?(options: Options): { specs: TensorSpec[]; note: string };
  /**
   * The input shape and class count the options fix, when they do (a graph imported from a file):
   * a request or data set that disagrees is refused instead of reshaping the model.
   */
  shape?(options: Options): { input: InputSpec; classes: number; source: string };
  /** Checks and completes loose options (from the CLI or checkpoint metadata). */
  parseOptions(raw: Record<string, unknown>): Options;
  tensorSpecs(config: ModelConfig<Options>): TensorSpec[];
  /** The network, written once in the layer vocabulary; returns the logits. */
  network<T>(net: Layers<T>, x: T, config: ModelConfig<Options>): T;
  forward(weights: ModelWeights, x: tf.Tensor4D, config: ModelConfig<Options>, options: ForwardOptions): ForwardResult;
}
