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
  // MNIST-sized: the mlp is the small model of the Fashion-MNIST experiments.
  defaultInput: { height: 28, width: 28, channels: 1 },
  candidates(shapes) {
    const layers = [...shapes.keys()].filter((k) => /^fc\d+\.weight$/.test(k)).length;
    if (layers === 0 || !shapes.has('fc1.weight')) return [];
    const features = shapes.get('fc1.weight')![1]!;
    const hidden = Array.from({ length: layers - 1 }, (_, i) => shapes.get(`fc${i + 1}.weight`)?.[0] ?? 0);
    const out: ModelConfig[] = [];
    for (const channels of [1, 3]) {
      const side = Math.sqrt(features / channels);
      // fc1 … fc<layers> need not all exist (fc1 and fc7 only): no candidate then, not a crash.
      if (Number.isInteger(side))
        out.push({
          arch: 'mlp',
          options: { hidden },
          input: { height: side, width: side, channels },
          classes: shapes.get(`fc${layers}.weight`)?.[0] ?? 0,
        });
    }
    return out;
  },
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
