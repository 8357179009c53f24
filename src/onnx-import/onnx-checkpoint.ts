/**
 * An ONNX file read as a checkpoint: its parameters are the initializers the translated graph
 * uses, by their PyTorch names, and its metadata names the architecture ('onnx', the file and its
 * SHA-256), so that every command that loads a checkpoint loads an ONNX model too.
 */
import type { HostTensor } from '../checkpoints/host-tensor.ts';
import { keepProgram } from './onnx-architecture.ts';
import { readOnnxModel } from './read-onnx-model.ts';

/** A file named *.onnx (case-insensitive) is read as an ONNX model. */
export const isOnnxPath = (path: string) => /\.onnx$/i.test(path);

export interface OnnxCheckpoint {
  tensors: Map<string, HostTensor>;
  metadata: Record<string, string>;
  notes: string[];
  sha256: string;
}

export function readOnnxCheckpoint(path: string, maxTensorBytes?: number): OnnxCheckpoint {
  const graph = readOnnxModel(path, { maxTensorBytes });
  const program = keepProgram(graph);
  const tensors = new Map<string, HostTensor>();
  for (const [name, source] of program.sources) {
    const t = graph.initializers.get(source)!;
    // A copy: the exporter shares one initializer among parameters that were equal when exported.
    tensors.set(name, name === source ? t : { ...t, values: t.values.slice() });
  }
  const notes: string[] = [];
  // The exporter drops num_batches_tracked; 0, said once here rather than once per layer.
  const counts = program.specs.filter((s) => s.role === 'bn-count');
  for (const spec of counts) tensors.set(spec.name, { dtype: 'int32', shape: [], values: new Int32Array(1) });
  if (counts.length > 0)
    notes.push(`the ONNX file holds no num_batches_tracked: ${counts.length} BatchNorm counts start at 0`);
  const used = new Set(program.sources.values());
  const unused = [...graph.initializers.keys()].filter((name) => !used.has(name));
  if (unused.length > 0)
    notes.push(`${unused.length} initializers are constants, not parameters: ${unused.join(', ')}`);
  const { input, classes } = program;
  const metadata = {
    arch: 'onnx',
    options: JSON.stringify({ file: path, sha256: graph.sha256 }),
    input: JSON.stringify(input),
    classes: JSON.stringify(classes),
  };
  return { tensors, metadata, notes, sha256: graph.sha256 };
}
