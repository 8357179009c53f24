/**
 * What `inspect model.onnx` shows: the operators with their counts, whether the vocabulary covers
 * every node (and which operators it does not, with the first node of each), and the parameters
 * the translated model has, or, when it cannot be translated, why not and the file's initializers.
 */
import { WeightscapeError } from '../errors.ts';
import { readOnnxModel } from './read-onnx-model.ts';
import { operatorCounts, translateGraph, unsupportedOperators } from './translate-graph.ts';

export interface OnnxDescription {
  path: string;
  sha256: string;
  opset: number;
  producer: string;
  input: { name: string; channels: number; height: number; width: number };
  nodes: number;
  operators: { opType: string; count: number }[];
  unsupported: { opType: string; node: string; count: number }[];
  /** Why the graph cannot be imported (an unsupported operator or attribute, a renamed parameter), if it cannot. */
  problem: string | null;
  classes: number | null;
  /** The model's parameters (PyTorch names) when it imports; else the file's float initializers. */
  tensors: { name: string; shape: number[]; role: string | null; elements: number }[];
  /** Trainable parameter values (BatchNorm running statistics excluded), when it imports. */
  parameters: number | null;
}

export function describeOnnx(path: string): OnnxDescription {
  const graph = readOnnxModel(path);
  const unsupported = unsupportedOperators(graph);
  let problem: string | null = null;
  let program: ReturnType<typeof translateGraph> | undefined;
  try {
    program = translateGraph(graph);
  } catch (error) {
    if (!(error instanceof WeightscapeError)) throw error;
    const message = error.message.startsWith(`${path}: `) ? error.message.slice(path.length + 2) : error.message;
    problem = error.suggestion === undefined ? message : `${message}; ${error.suggestion}`;
  }
  const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  const tensors =
    program === undefined
      ? [...graph.initializers].map(([name, t]) => ({ name, shape: t.shape, role: null, elements: size(t.shape) }))
      : program.specs.map((s) => ({ name: s.name, shape: s.shape, role: s.role, elements: size(s.shape) }));
  const trainable = new Set(['conv-weight', 'linear-weight', 'bias', 'bn-weight', 'bn-bias']);
  return {
    path,
    sha256: graph.sha256,
    opset: graph.opset,
    producer: graph.producer,
    input: graph.input,
    nodes: graph.nodes.length,
    operators: [...operatorCounts(graph)].map(([opType, count]) => ({ opType, count })),
    unsupported,
    problem,
    classes: program?.classes ?? null,
    tensors,
    parameters:
      program === undefined
        ? null
        : tensors.filter((t) => trainable.has(t.role ?? '')).reduce((a, t) => a + t.elements, 0),
  };
}
