/**
 * convnet: TRADES' SmallCNN (models/small_cnn.py) for 28×28×1 and 32×32×3 inputs:
 * 4 unpadded 3×3 convs (w, w, 2w, 2w channels) with ReLU and two 2×2 max pools, then
 * fc1 (hidden) → dropout → fc2 (hidden) → fc3. Reference: w = 32, hidden = 200, dropout 0.5.
 */
import { WeightscapeError } from '../errors.ts';
import { runNetwork } from './forward-context.ts';
import { positiveInteger, rate, rejectUnknown } from './options.ts';
import { convSpecs, linearSpecs } from './tensor-specs.ts';
import { CIFAR_INPUT, type Architecture, type ModelConfig } from './types.ts';

export interface ConvnetOptions {
  width: number;
  hidden: number;
  dropout: number;
}

function featureSide(config: ModelConfig<ConvnetOptions>): number {
  const { height, width } = config.input;
  if (height !== width || height < 16)
    throw new WeightscapeError(
      'bad-argument',
      `convnet: needs a square input of at least 16 pixels (got ${height}×${width})`,
    );
  return Math.floor((Math.floor((height - 4) / 2) - 4) / 2);
}

export const convnet: Architecture<ConvnetOptions> = {
  name: 'convnet',
  description: "TRADES' SmallCNN (--width 32 --hidden 200 --dropout 0.5)",
  defaultInput: CIFAR_INPUT,
  candidates(shapes) {
    const first = shapes.get('feature_extractor.conv1.weight');
    const hidden = shapes.get('classifier.fc1.weight');
    const last = shapes.get('classifier.fc3.weight');
    if (!first || !hidden || !last) return [];
    const channels = first[1]!;
    return [28, 32].map((size) => ({
      arch: 'convnet',
      options: { width: first[0]!, hidden: hidden[0]!, dropout: 0.5 },
      input: { height: size, width: size, channels },
      classes: last[0]!,
    }));
  },
  parseOptions(raw) {
    rejectUnknown('convnet', raw, ['width', 'hidden', 'dropout']);
    return {
      width: positiveInteger('convnet', raw, 'width', 32),
      hidden: positiveInteger('convnet', raw, 'hidden', 200),
      dropout: rate('convnet', raw, 'dropout', 0.5),
    };
  },
  tensorSpecs(config) {
    const { width: w, hidden } = config.options;
    const side = featureSide(config);
    return [
      ...convSpecs('feature_extractor.conv1', w, config.input.channels, 3, true),
      ...convSpecs('feature_extractor.conv2', w, w, 3, true),
      ...convSpecs('feature_extractor.conv3', 2 * w, w, 3, true),
      ...convSpecs('feature_extractor.conv4', 2 * w, 2 * w, 3, true),
      ...linearSpecs('classifier.fc1', hidden, 2 * w * side * side),
      ...linearSpecs('classifier.fc2', hidden, hidden),
      ...linearSpecs('classifier.fc3', config.classes, hidden),
    ];
  },
  network(net, x, config) {
    const conv = (h: typeof x, i: number) => net.relu(net.conv(`feature_extractor.conv${i}`, h, 1, 0, true));
    let h = net.normalizeInput(x, config.normalization);
    h = net.maxPool(conv(conv(h, 1), 2), 2);
    h = net.maxPool(conv(conv(h, 3), 4), 2);
    let f = net.relu(net.linear('classifier.fc1', net.flatten(h)));
    f = net.dropout(f, config.options.dropout);
    f = net.relu(net.linear('classifier.fc2', f));
    return net.linear('classifier.fc3', f);
  },
  forward(weights, x, config, options) {
    return runNetwork(convnet, weights, x, config, options);
  },
};
