/**
 * Splits a graph into the part that depends on the weights alone (filter reorders and flips,
 * BatchNorm's per-channel scale and shift from running statistics, ...) and the rest. The first
 * runs once per set of weights (an attack's steps share it), the second once per batch with the
 * prepared values as inputs: what onnxruntime's constant folding would do for constant weights,
 * without building a session per set of weights (what that saves: docs/engine-notes.md).
 */
import type { OnnxGraph, OnnxNode, OnnxValueInfo } from './onnx-model.ts';

export interface SplitGraph {
  /** Weights → prepared values; undefined when nothing depends on the weights alone. */
  preparation: OnnxGraph | undefined;
  /** The graph that runs per batch: prepared values among its inputs. */
  main: OnnxGraph;
  prepared: OnnxValueInfo[];
}

/**
 * `weights`: the graph inputs that change only with the weights. A node moves to the preparation
 * when all its inputs are weights, initializers or outputs of moved nodes, and it makes no graph
 * output. Every moved node here makes float32 values (reorders, flips, per-channel arithmetic).
 */
export function splitWeightPreparation(graph: OnnxGraph, weights: string[]): SplitGraph {
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));
  const weightOnly = new Set([...weights, ...graph.initializers.map((i) => i.name)]);
  const moved: OnnxNode[] = [];
  const kept: OnnxNode[] = [];
  for (const node of graph.nodes) {
    const inputs = node.inputs.filter((name) => name !== '');
    if (
      inputs.length > 0 &&
      inputs.every((name) => weightOnly.has(name)) &&
      !node.outputs.some((o) => graphOutputs.has(o))
    ) {
      moved.push(node);
      for (const o of node.outputs) weightOnly.add(o);
    } else kept.push(node);
  }
  const usedBy = (nodes: OnnxNode[]) => new Set(nodes.flatMap((n) => n.inputs));
  const mainUses = usedBy(kept);
  const prepared = moved
    .flatMap((node) => node.outputs.map((name, i) => ({ name, shape: node.shapes?.[i], type: 'float32' as const })))
    .filter((v) => mainUses.has(v.name))
    .map((v) => {
      if (v.shape === undefined) throw new Error(`weight preparation: no shape recorded for ${v.name}`);
      return { ...v, shape: v.shape };
    });
  if (prepared.length === 0) return { preparation: undefined, main: graph, prepared: [] };
  const prepUses = usedBy(moved);
  return {
    preparation: {
      nodes: moved,
      inputs: graph.inputs.filter((i) => prepUses.has(i.name)),
      outputs: prepared,
      initializers: graph.initializers.filter((i) => prepUses.has(i.name)),
    },
    main: {
      nodes: kept,
      inputs: [...graph.inputs.filter((i) => mainUses.has(i.name)), ...prepared],
      outputs: graph.outputs,
      initializers: graph.initializers.filter((i) => mainUses.has(i.name)),
    },
    prepared,
  };
}
