/**
 * resnet: the ResNet of kuangliu's pytorch-cifar (models/resnet.py), which the TRADES-AWP code
 * trains. Stem conv1 (3×3, stride 1) → bn1 → ReLU, or with --stem imagenet torchvision's
 * 7×7 stride-2 conv and 3×3 stride-2 max pool; layer1..layer4 of BasicBlocks (18, 34) or
 * Bottlenecks (50, 101, 152; expansion 4) with planes w, 2w, 4w, 8w, strides 1, 2, 2, 2; an
 * average pool over the whole final map → linear. A block's shortcut is its input, or a 1×1 conv
 * `shortcut.0` + BatchNorm `shortcut.1` when the stride or width changes; ReLU after the sum.
 */
import { WeightscapeError } from '../errors.ts';
import { runNetwork } from './forward-context.ts';
import { choice, positiveInteger, rejectUnknown } from './options.ts';
import { batchNormSpecs, convSpecs, linearSpecs } from './tensor-specs.ts';
import { CIFAR_INPUT, type Architecture, type TensorShapes, type TensorSpec } from './types.ts';

export const RESNET_STEMS = ['cifar', 'imagenet'] as const;

export interface ResnetOptions {
  depth: number;
  width: number;
  stem: (typeof RESNET_STEMS)[number];
}

/** Blocks per layer and block type of each depth (kuangliu's ResNet18 … ResNet152). */
const DEPTHS: Record<number, { counts: number[]; bottleneck: boolean }> = {
  18: { counts: [2, 2, 2, 2], bottleneck: false },
  34: { counts: [3, 4, 6, 3], bottleneck: false },
  50: { counts: [3, 4, 6, 3], bottleneck: true },
  101: { counts: [3, 4, 23, 3], bottleneck: true },
  152: { counts: [3, 8, 36, 3], bottleneck: true },
};

interface Block {
  prefix: string;
  inPlanes: number;
  planes: number;
  /** planes × expansion: the block's output channels. */
  outPlanes: number;
  stride: number;
  bottleneck: boolean;
}

function blocks({ depth, width }: ResnetOptions): Block[] {
  const { counts, bottleneck } = DEPTHS[depth]!;
  const expansion = bottleneck ? 4 : 1;
  const out: Block[] = [];
  let inPlanes = width;
  [1, 2, 2, 2].forEach((stride, layer) => {
    const planes = width * 2 ** layer;
    for (let i = 0; i < counts[layer]!; i++) {
      const block = {
        prefix: `layer${layer + 1}.${i}`,
        inPlanes,
        planes,
        outPlanes: planes * expansion,
        stride: i === 0 ? stride : 1,
        bottleneck,
      };
      out.push(block);
      inPlanes = block.outPlanes;
    }
  });
  return out;
}

const hasShortcutConv = (b: Block) => b.stride !== 1 || b.inPlanes !== b.outPlanes;

function blockSpecs(b: Block): TensorSpec[] {
  const p = b.prefix;
  const specs = b.bottleneck
    ? [
        ...convSpecs(`${p}.conv1`, b.planes, b.inPlanes, 1, false),
        ...batchNormSpecs(`${p}.bn1`, b.planes),
        ...convSpecs(`${p}.conv2`, b.planes, b.planes, 3, false),
        ...batchNormSpecs(`${p}.bn2`, b.planes),
        ...convSpecs(`${p}.conv3`, b.outPlanes, b.planes, 1, false),
        ...batchNormSpecs(`${p}.bn3`, b.outPlanes),
      ]
    : [
        ...convSpecs(`${p}.conv1`, b.planes, b.inPlanes, 3, false),
        ...batchNormSpecs(`${p}.bn1`, b.planes),
        ...convSpecs(`${p}.conv2`, b.planes, b.planes, 3, false),
        ...batchNormSpecs(`${p}.bn2`, b.planes),
      ];
  if (hasShortcutConv(b))
    specs.push(
      ...convSpecs(`${p}.shortcut.0`, b.outPlanes, b.inPlanes, 1, false),
      ...batchNormSpecs(`${p}.shortcut.1`, b.outPlanes),
    );
  return specs;
}

/** The depth whose block counts (per layer) and block type these are, if any. */
function depthOf(counts: number[], bottleneck: boolean): number | undefined {
  const found = Object.entries(DEPTHS).find(
    ([, d]) => d.bottleneck === bottleneck && d.counts.join() === counts.join(),
  );
  return found === undefined ? undefined : Number(found[0]);
}

const stemKernel = (stem: ResnetOptions['stem']) => (stem === 'imagenet' ? 7 : 3);

export const resnet: Architecture<ResnetOptions> = {
  name: 'resnet',
  description: "ResNet of kuangliu's pytorch-cifar / TRADES-AWP (--depth 18 --width 64 --stem cifar)",
  defaultInput: CIFAR_INPUT,
  candidates(shapes: TensorShapes) {
    const conv1 = shapes.get('conv1.weight');
    const linear = shapes.get('linear.weight');
    // The top-level bn1 and the per-block bn1 after conv1 tell it from preact-resnet18 (same conv1, linear).
    if (!conv1 || !linear || !shapes.has('bn1.weight') || !shapes.has('layer1.0.bn1.weight')) return [];
    const counts = [1, 2, 3, 4].map(
      (layer) => [...shapes.keys()].filter((k) => new RegExp(`^layer${layer}\\.\\d+\\.conv1\\.weight$`).test(k)).length,
    );
    const depth = depthOf(counts, shapes.has('layer1.0.conv3.weight'));
    const stem = RESNET_STEMS.find((s) => stemKernel(s) === conv1[2]);
    if (depth === undefined || stem === undefined) return [];
    return [
      {
        arch: 'resnet',
        options: { depth, width: conv1[0]!, stem },
        input: { ...CIFAR_INPUT, channels: conv1[1]! },
        classes: linear[0]!,
      },
    ];
  },
  parseOptions(raw) {
    rejectUnknown('resnet', raw, ['depth', 'width', 'stem']);
    const depth = positiveInteger('resnet', raw, 'depth', 18);
    if (DEPTHS[depth] === undefined)
      throw new WeightscapeError(
        'bad-argument',
        `resnet: --depth must be one of ${Object.keys(DEPTHS).join(', ')}, got ${depth}`,
      );
    return {
      depth,
      width: positiveInteger('resnet', raw, 'width', 64),
      stem: choice('resnet', raw, 'stem', RESNET_STEMS, 'cifar'),
    };
  },
  tensorSpecs(config) {
    const { width, stem } = config.options;
    const all = blocks(config.options);
    const top = all.at(-1)!.outPlanes;
    return [
      ...convSpecs('conv1', width, config.input.channels, stemKernel(stem), false),
      ...batchNormSpecs('bn1', width),
      ...all.flatMap(blockSpecs),
      ...linearSpecs('linear', config.classes, top),
    ];
  },
  network(net, x, config) {
    const imagenet = config.options.stem === 'imagenet';
    const input = net.normalizeInput(x, config.normalization);
    let h = net.relu(net.batchNorm('bn1', net.conv('conv1', input, imagenet ? 2 : 1, imagenet ? 3 : 1)));
    if (imagenet) h = net.maxPool(h, 3, 2, 1);
    for (const b of blocks(config.options)) {
      const p = b.prefix;
      let out = net.relu(
        net.batchNorm(`${p}.bn1`, net.conv(`${p}.conv1`, h, b.bottleneck ? 1 : b.stride, b.bottleneck ? 0 : 1)),
      );
      if (b.bottleneck) {
        out = net.relu(net.batchNorm(`${p}.bn2`, net.conv(`${p}.conv2`, out, b.stride, 1)));
        out = net.batchNorm(`${p}.bn3`, net.conv(`${p}.conv3`, out, 1, 0));
      } else {
        out = net.batchNorm(`${p}.bn2`, net.conv(`${p}.conv2`, out, 1, 1));
      }
      const shortcut = hasShortcutConv(b)
        ? net.batchNorm(`${p}.shortcut.1`, net.conv(`${p}.shortcut.0`, h, b.stride, 0))
        : h;
      h = net.relu(net.add(out, shortcut));
    }
    return net.linear('linear', net.flatten(net.globalAvgPool(h)));
  },
  forward(weights, x, config, options) {
    return runNetwork(resnet, weights, x, config, options);
  },
};
