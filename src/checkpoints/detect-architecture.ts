/**
 * Recognizes which reference architecture (and options) a set of tensors belongs to, from the
 * names and shapes alone: each architecture's options are read off characteristic tensors, then
 * its full spec list must match exactly.
 */
import { architecture } from '../models/registry.ts';
import { wideResnetUnusedSpecs } from '../models/wide-resnet.ts';
import type { InputSpec, ModelConfig } from '../models/types.ts';
import type { HostTensor } from './host-tensor.ts';

type Shapes = Map<string, number[]>;

function candidates(shapes: Shapes): ModelConfig[] {
  const out: ModelConfig[] = [];
  const square = (features: number, channels: number) => Math.sqrt(features / channels);
  const conv1 = shapes.get('conv1.weight');
  const linear = shapes.get('linear.weight');
  if (conv1 && linear) {
    out.push({ arch: 'preact-resnet18', options: { width: conv1[0]! }, input: { height: 32, width: 32, channels: conv1[1]! }, classes: linear[0]! });
  }
  const fc = shapes.get('fc.weight');
  if (conv1 && fc && shapes.has('block1.layer.0.conv1.weight')) {
    const perGroup = [...shapes.keys()].filter((k) => /^block1\.layer\.\d+\.conv1\.weight$/.test(k)).length;
    const widen = shapes.get('block1.layer.0.conv1.weight')![0]! / 16;
    out.push({ arch: 'wide-resnet', options: { depth: 6 * perGroup + 4, widen }, input: { height: 32, width: 32, channels: conv1[1]! }, classes: fc[0]! });
  }
  const first = shapes.get('feature_extractor.conv1.weight');
  const hidden = shapes.get('classifier.fc1.weight');
  const last = shapes.get('classifier.fc3.weight');
  if (first && hidden && last) {
    const channels = first[1]!;
    for (const size of [28, 32]) {
      out.push({ arch: 'convnet', options: { width: first[0]!, hidden: hidden[0]!, dropout: 0.5 }, input: { height: size, width: size, channels }, classes: last[0]! });
    }
  }
  const layers = [...shapes.keys()].filter((k) => /^fc\d+\.weight$/.test(k)).length;
  if (layers > 0 && shapes.has('fc1.weight')) {
    const features = shapes.get('fc1.weight')![1]!;
    const hiddenSizes = Array.from({ length: layers - 1 }, (_, i) => shapes.get(`fc${i + 1}.weight`)?.[0] ?? 0);
    for (const channels of [1, 3]) {
      const side = square(features, channels);
      if (Number.isInteger(side)) {
        const input: InputSpec = { height: side, width: side, channels };
        // fc1 … fc<layers> need not all exist (fc1 and fc7 only): no candidate then, not a crash.
        out.push({ arch: 'mlp', options: { hidden: hiddenSizes }, input, classes: shapes.get(`fc${layers}.weight`)?.[0] ?? 0 });
      }
    }
  }
  return out;
}

function matches(config: ModelConfig, shapes: Shapes): boolean {
  try {
    const net = architecture(config.arch);
    const specs = net.tensorSpecs({ ...config, options: net.parseOptions(config.options) } as ModelConfig<never>);
    const extra = config.arch === 'wide-resnet' ? wideResnetUnusedSpecs(config.options as never) : [];
    const expected = new Map([...specs, ...extra].map((s) => [s.name, s.shape.join('x')]));
    const required = specs.filter((s) => s.role !== 'bn-count');
    return required.every((s) => shapes.get(s.name)?.join('x') === s.shape.join('x'))
      && [...shapes.entries()].every(([name, shape]) => expected.get(name) === shape.join('x'));
  } catch {
    return false;
  }
}

/** The architecture these PyTorch-layout tensors fit exactly, or undefined. */
export function detectArchitecture(tensors: Map<string, HostTensor>): ModelConfig | undefined {
  const shapes: Shapes = new Map([...tensors].map(([name, t]) => [name, t.shape]));
  return candidates(shapes).find((config) => matches(config, shapes));
}
