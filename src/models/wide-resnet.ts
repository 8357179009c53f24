/**
 * wide-resnet: the WideResNet of the TRADES and AWP code (WRN-34-10, WRN-28-10, …). conv1 (16),
 * three groups block{1,2,3}.layer.{i} of (depth − 4)/6 blocks with 16k, 32k, 64k channels
 * (k = --widen), strides 1, 2, 2; bn1 → ReLU → 8×8 average pool → fc. A block whose width changes
 * activates its input first and sends that through the 1×1 `convShortcut`. The reference state
 * dicts also hold `sub_block1`, which forward never uses: it loads with a note.
 */
import { WeightscapeError } from '../errors.ts';
import { runNetwork } from './forward-context.ts';
import { positiveInteger, rejectUnknown } from './options.ts';
import { batchNormSpecs, convSpecs, linearSpecs } from './tensor-specs.ts';
import { CIFAR_INPUT, type Architecture, type TensorSpec } from './types.ts';

export interface WideResnetOptions {
  depth: number;
  widen: number;
}

interface Block {
  prefix: string;
  inPlanes: number;
  outPlanes: number;
  stride: number;
}

function blocks({ depth, widen }: WideResnetOptions): Block[] {
  const perGroup = (depth - 4) / 6;
  const widths = [16, 16 * widen, 32 * widen, 64 * widen];
  const out: Block[] = [];
  [1, 2, 2].forEach((stride, group) => {
    for (let i = 0; i < perGroup; i++) {
      out.push({
        prefix: `block${group + 1}.layer.${i}`,
        inPlanes: i === 0 ? widths[group]! : widths[group + 1]!,
        outPlanes: widths[group + 1]!,
        stride: i === 0 ? stride : 1,
      });
    }
  });
  return out;
}

function blockSpecs(b: Block): TensorSpec[] {
  return [
    ...batchNormSpecs(`${b.prefix}.bn1`, b.inPlanes),
    ...convSpecs(`${b.prefix}.conv1`, b.outPlanes, b.inPlanes, 3, false),
    ...batchNormSpecs(`${b.prefix}.bn2`, b.outPlanes),
    ...convSpecs(`${b.prefix}.conv2`, b.outPlanes, b.outPlanes, 3, false),
    ...(b.inPlanes === b.outPlanes ? [] : convSpecs(`${b.prefix}.convShortcut`, b.outPlanes, b.inPlanes, 1, false)),
  ];
}

/** The unused sub_block1 of the reference code: same shapes as block1. */
function unusedSpecs(options: WideResnetOptions): TensorSpec[] {
  return blocks(options)
    .filter((b) => b.prefix.startsWith('block1.'))
    .flatMap((b) => blockSpecs({ ...b, prefix: b.prefix.replace('block1.', 'sub_block1.') }));
}

export const wideResnet: Architecture<WideResnetOptions> = {
  name: 'wide-resnet',
  description: 'WideResNet of the TRADES / AWP code (--depth 34 --widen 10)',
  defaultInput: CIFAR_INPUT,
  candidates(shapes) {
    const conv1 = shapes.get('conv1.weight');
    const fc = shapes.get('fc.weight');
    if (!conv1 || !fc || !shapes.has('block1.layer.0.conv1.weight')) return [];
    const perGroup = [...shapes.keys()].filter((k) => /^block1\.layer\.\d+\.conv1\.weight$/.test(k)).length;
    const widen = shapes.get('block1.layer.0.conv1.weight')![0]! / 16;
    return [
      {
        arch: 'wide-resnet',
        options: { depth: 6 * perGroup + 4, widen },
        input: { height: 32, width: 32, channels: conv1[1]! },
        classes: fc[0]!,
      },
    ];
  },
  unusedTensors(options) {
    return { specs: unusedSpecs(options), note: "the reference code's unused sub_block1" };
  },
  parseOptions(raw) {
    rejectUnknown('wide-resnet', raw, ['depth', 'widen']);
    const depth = positiveInteger('wide-resnet', raw, 'depth', 34);
    if ((depth - 4) % 6 !== 0)
      throw new WeightscapeError(
        'bad-argument',
        `wide-resnet: --depth must be 6n + 4 (10, 16, 22, 28, 34, …), got ${depth}`,
      );
    return { depth, widen: positiveInteger('wide-resnet', raw, 'widen', 10) };
  },
  tensorSpecs(config) {
    const top = 64 * config.options.widen;
    return [
      ...convSpecs('conv1', 16, config.input.channels, 3, false),
      ...blocks(config.options).flatMap(blockSpecs),
      ...batchNormSpecs('bn1', top),
      ...linearSpecs('fc', config.classes, top),
    ];
  },
  network(net, x, config) {
    let h = net.conv('conv1', net.normalizeInput(x, config.normalization), 1, 1);
    for (const b of blocks(config.options)) {
      const activated = net.relu(net.batchNorm(`${b.prefix}.bn1`, h));
      const inner = net.relu(net.batchNorm(`${b.prefix}.bn2`, net.conv(`${b.prefix}.conv1`, activated, b.stride, 1)));
      const residual = net.conv(`${b.prefix}.conv2`, inner, 1, 1);
      h = net.add(
        b.inPlanes === b.outPlanes ? h : net.conv(`${b.prefix}.convShortcut`, activated, b.stride, 0),
        residual,
      );
    }
    const pooled = net.avgPool(net.relu(net.batchNorm('bn1', h)), 8);
    return net.linear('fc', net.flatten(pooled));
  },
  forward(weights, x, config, options) {
    return runNetwork(wideResnet, weights, x, config, options);
  },
};
