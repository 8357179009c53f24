/**
 * Recognizes which reference architecture (and options) a set of tensors belongs to, from the
 * names and shapes alone: each architecture reads its candidate options off characteristic tensors
 * (Architecture.candidates), then its full spec list must match exactly.
 */
import { ARCHITECTURES, architecture } from '../models/registry.ts';
import type { ModelConfig, TensorShapes } from '../models/types.ts';
import type { HostTensor } from './host-tensor.ts';

function matches(config: ModelConfig, shapes: TensorShapes): boolean {
  try {
    const net = architecture(config.arch);
    const options = net.parseOptions(config.options);
    const specs = net.tensorSpecs({ ...config, options });
    const extra = net.unusedTensors?.(options as never).specs ?? [];
    const expected = new Map([...specs, ...extra].map((s) => [s.name, s.shape.join('x')]));
    const required = specs.filter((s) => s.role !== 'bn-count');
    return (
      required.every((s) => shapes.get(s.name)?.join('x') === s.shape.join('x')) &&
      [...shapes.entries()].every(([name, shape]) => expected.get(name) === shape.join('x'))
    );
  } catch {
    return false;
  }
}

/** The architecture these PyTorch-layout tensors fit exactly, or undefined. */
export function detectArchitecture(tensors: Map<string, HostTensor>): ModelConfig | undefined {
  const shapes: TensorShapes = new Map([...tensors].map(([name, t]) => [name, t.shape]));
  // Each architecture's tensor names are its own, so at most one candidate matches exactly.
  return Object.values(ARCHITECTURES)
    .flatMap((net) => net.candidates(shapes))
    .find((config) => matches(config, shapes));
}
