/** The architectures by name. */
import { WeightscapeError } from '../errors.ts';
import { onnxArchitecture } from '../onnx-import/onnx-architecture.ts';
import { convnet } from './convnet.ts';
import { mlp } from './mlp.ts';
import { preactResnet18 } from './preact-resnet18.ts';
import { resnet } from './resnet.ts';
import { wideResnet } from './wide-resnet.ts';
import type * as tf from '@tensorflow/tfjs';
import type { Layers } from './layers.ts';
import type { Architecture, ForwardOptions, ForwardResult, ModelConfig, ModelWeights, TensorSpec } from './types.ts';

export const ARCHITECTURES: Record<string, Architecture<never>> = {
  mlp: mlp as Architecture<never>,
  convnet: convnet as Architecture<never>,
  'preact-resnet18': preactResnet18 as Architecture<never>,
  'wide-resnet': wideResnet as Architecture<never>,
  resnet: resnet as Architecture<never>,
  onnx: onnxArchitecture as Architecture<never>,
};

export function architecture(name: string): Architecture<unknown> {
  const arch = ARCHITECTURES[name];
  if (arch === undefined) {
    throw new WeightscapeError(
      'bad-argument',
      `unknown architecture '${name}' (expected one of ${Object.keys(ARCHITECTURES).join(', ')})`,
    );
  }
  return arch as Architecture<unknown>;
}

/** An architecture bound to one configuration (in the manner of a d3 scale): the config is given once. */
export interface BoundModel {
  readonly config: ModelConfig;
  /** The checkpoint tensors of this configuration (PyTorch names and layouts). */
  tensorSpecs(): TensorSpec[];
  /** Tensors the reference code saves but the forward pass never reads, if the architecture has any. */
  unusedTensors(): { specs: TensorSpec[]; note: string } | undefined;
  /** The network written once in the layer vocabulary, for any implementation of it. */
  network<T>(net: Layers<T>, x: T): T;
  /** The tfjs forward pass. */
  forward(weights: ModelWeights, x: tf.Tensor4D, options: ForwardOptions): ForwardResult;
}

/** The architecture of `config`, bound to it. */
export function modelFor(config: ModelConfig): BoundModel {
  const arch = architecture(config.arch);
  return {
    config,
    tensorSpecs: () => arch.tensorSpecs(config),
    unusedTensors: () => arch.unusedTensors?.(config.options),
    network: (net, x) => arch.network(net, x, config),
    forward: (weights, x, options) => arch.forward(weights, x, config, options),
  };
}
