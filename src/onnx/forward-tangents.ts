/**
 * Forward-mode differentiation of a graph already built (Pearlmutter's R-operator): given the
 * tangents of some graph inputs, every node on a path from them to a wanted value gets its tangent
 * by its own rule (tangent-rules.ts), emitted as more nodes into the same builder. Applied to a
 * gradient graph, the tangents of the gradients are exact Hessian-vector products
 * (forward-over-reverse). What selects (ReLU's and max-pooling's masks, comparisons) is held
 * fixed: its second derivative is 0, as in every autodiff framework.
 */
import type { GraphBuilder, Value } from './graph-builder.ts';
import type { OnnxNode } from './onnx-model.ts';
import { NON_DIFFERENTIABLE, tangentOf } from './tangent-rules.ts';

/** The values of a node that carry tangents (MaxPool's indices do not). */
function differentiableOutputs(node: OnnxNode): string[] {
  if (NON_DIFFERENTIABLE.has(node.op)) return [];
  return node.op === 'MaxPool' ? node.outputs.slice(0, 1) : node.outputs;
}

/**
 * The tangents of `wanted` (value names) given `seeds` (input name → its tangent value); a wanted
 * value that no seed reaches has no entry.
 */
export function forwardTangents(b: GraphBuilder, seeds: Map<string, Value>, wanted: string[]): Map<string, Value> {
  const nodes = b.nodesSoFar();
  // Values that depend on a seed.
  const reached = new Set(seeds.keys());
  for (const node of nodes) {
    if (node.inputs.some((name) => reached.has(name))) for (const o of differentiableOutputs(node)) reached.add(o);
  }
  // Of those, the ones a wanted value depends on.
  const needed = new Set(wanted.filter((name) => reached.has(name)));
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i]!;
    if (!node.outputs.some((o) => needed.has(o))) continue;
    for (const name of node.inputs) if (reached.has(name)) needed.add(name);
  }
  const tangents = new Map(seeds);
  for (const node of nodes) {
    const outputs = differentiableOutputs(node);
    if (!outputs.some((o) => needed.has(o))) continue;
    if (outputs.length !== 1) throw new Error(`forward tangents: ${node.op} has ${outputs.length} outputs`);
    const tangent = tangentOf(b, node, (name) => tangents.get(name));
    tangents.set(outputs[0]!, tangent);
  }
  return new Map(wanted.filter((name) => tangents.has(name)).map((name) => [name, tangents.get(name)!]));
}
