/** mlp: fc1 … fcN with ReLU between, on the input flattened in PyTorch's (C, H, W) order. */
import { runNetwork } from './forward-context.ts';
import { integerList, rejectUnknown } from './options.ts';
import { linearSpecs } from './tensor-specs.ts';
import type { Architecture, ModelConfig } from './types.ts';

export interface MlpOptions {
  /** Hidden layer sizes. */
  hidden: number[];
}

function layerSizes(config: ModelConfig<MlpOptions>): number[] {
  const { height, width, channels } = config.input;
  return [height * width * channels, ...config.options.hidden, config.classes];
}

export const mlp: Architecture<MlpOptions> = {
  name: 'mlp',
  description: 'fully connected network, ReLU between layers (--hidden 256,256)',
  parseOptions(raw) {
    rejectUnknown('mlp', raw, ['hidden']);
    return { hidden: integerList('mlp', raw, 'hidden', [256, 256]) };
  },
  tensorSpecs(config) {
    const sizes = layerSizes(config);
    return sizes.slice(1).flatMap((out, i) => linearSpecs(`fc${i + 1}`, out, sizes[i]!));
  },
  network(net, x, config) {
    const layers = layerSizes(config).length - 1;
    let h = net.flatten(net.normalizeInput(x, config.normalization));
    for (let i = 1; i <= layers; i++) {
      h = net.linear(`fc${i}`, h);
      if (i < layers) h = net.relu(h);
    }
    return h;
  },
  forward(weights, x, config, options) {
    return runNetwork(mlp, weights, x, config, options);
  },
};
