/**
 * preact-resnet18: the PreActResNet-18 of the robust-overfitting and AWP code. Blocks
 * bn1 → ReLU → conv1 → bn2 → ReLU → conv2, plus a shortcut: the input, or (when the stride or
 * width changes) a 1×1 conv `shortcut.0` of the pre-activated input. Widths w, 2w, 4w, 8w
 * (reference w = 64), then bn → ReLU → 4×4 average pool → linear. For 32×32 inputs.
 */
import { runNetwork } from './forward-context.ts';
import { positiveInteger, rejectUnknown } from './options.ts';
import { batchNormSpecs, convSpecs, linearSpecs } from './tensor-specs.ts';
import { CIFAR_INPUT, type Architecture, type TensorSpec } from './types.ts';

export interface PreactResnet18Options {
  width: number;
}

interface Block {
  prefix: string;
  inPlanes: number;
  planes: number;
  stride: number;
}

function blocks(width: number): Block[] {
  const out: Block[] = [];
  let inPlanes = width;
  [1, 2, 4, 8].forEach((multiple, layer) => {
    [layer === 0 ? 1 : 2, 1].forEach((stride, index) => {
      out.push({ prefix: `layer${layer + 1}.${index}`, inPlanes, planes: width * multiple, stride });
      inPlanes = width * multiple;
    });
  });
  return out;
}

const hasShortcutConv = (b: Block) => b.stride !== 1 || b.inPlanes !== b.planes;

export const preactResnet18: Architecture<PreactResnet18Options> = {
  name: 'preact-resnet18',
  description: 'PreActResNet-18 of the robust-overfitting / AWP code (--width 64)',
  defaultInput: CIFAR_INPUT,
  candidates(shapes) {
    const conv1 = shapes.get('conv1.weight');
    const linear = shapes.get('linear.weight');
    if (!conv1 || !linear) return [];
    return [
      {
        arch: 'preact-resnet18',
        options: { width: conv1[0]! },
        input: { height: 32, width: 32, channels: conv1[1]! },
        classes: linear[0]!,
      },
    ];
  },
  parseOptions(raw) {
    rejectUnknown('preact-resnet18', raw, ['width']);
    return { width: positiveInteger('preact-resnet18', raw, 'width', 64) };
  },
  tensorSpecs(config) {
    const w = config.options.width;
    const specs: TensorSpec[] = [...convSpecs('conv1', w, config.input.channels, 3, false)];
    for (const b of blocks(w)) {
      specs.push(
        ...batchNormSpecs(`${b.prefix}.bn1`, b.inPlanes),
        ...convSpecs(`${b.prefix}.conv1`, b.planes, b.inPlanes, 3, false),
        ...batchNormSpecs(`${b.prefix}.bn2`, b.planes),
        ...convSpecs(`${b.prefix}.conv2`, b.planes, b.planes, 3, false),
      );
      if (hasShortcutConv(b)) specs.push(...convSpecs(`${b.prefix}.shortcut.0`, b.planes, b.inPlanes, 1, false));
    }
    specs.push(...batchNormSpecs('bn', 8 * w), ...linearSpecs('linear', config.classes, 8 * w));
    return specs;
  },
  network(net, x, config) {
    let h = net.conv('conv1', net.normalizeInput(x, config.normalization), 1, 1);
    for (const b of blocks(config.options.width)) {
      const activated = net.relu(net.batchNorm(`${b.prefix}.bn1`, h));
      const shortcut = hasShortcutConv(b) ? net.conv(`${b.prefix}.shortcut.0`, activated, b.stride, 0) : h;
      const inner = net.relu(net.batchNorm(`${b.prefix}.bn2`, net.conv(`${b.prefix}.conv1`, activated, b.stride, 1)));
      h = net.add(net.conv(`${b.prefix}.conv2`, inner, 1, 1), shortcut);
    }
    const pooled = net.avgPool(net.relu(net.batchNorm('bn', h)), 4);
    return net.linear('linear', net.flatten(pooled));
  },
  forward(weights, x, config, options) {
    return runNetwork(preactResnet18, weights, x, config, options);
  },
};
