/**
 * Builds an ONNX graph one node at a time, tracking every value's static shape (all shapes are
 * known: a graph is built for one batch size), so that gradient rules can size what they emit.
 */
import type { AttributeValue, OnnxGraph, OnnxNode, OnnxValueInfo } from './onnx-model.ts';

export interface Value {
  name: string;
  shape: number[];
}

export class GraphBuilder {
  private readonly nodes: OnnxNode[] = [];
  private readonly inputs: OnnxValueInfo[] = [];
  private readonly outputs: OnnxValueInfo[] = [];
  private readonly initializers: OnnxGraph['initializers'] = [];
  private counter = 0;
  private readonly scalars = new Map<string, Value>();
  /** Every value's static shape by name (inputs, constants and node outputs). */
  private readonly shapes = new Map<string, number[]>();

  private fresh(hint: string): string {
    return `${hint}_${this.counter++}`;
  }

  /** The value named `name` made so far (its shape as recorded). */
  value(name: string): Value {
    const shape = this.shapes.get(name);
    if (shape === undefined) throw new Error(`graph builder: no value '${name}'`);
    return { name, shape };
  }

  /** The nodes added so far, in order (each after the nodes making its inputs). */
  nodesSoFar(): readonly OnnxNode[] {
    return this.nodes.slice();
  }

  input(name: string, shape: number[], type: 'float32' | 'int64' = 'float32'): Value {
    this.inputs.push({ name, shape, type });
    this.shapes.set(name, shape);
    return { name, shape };
  }

  output(value: Value, name: string): void {
    this.node('Identity', [value], {}, value.shape, name);
    this.outputs.push({ name, shape: value.shape, type: 'float32' });
  }

  floats(values: number[], shape: number[] = [values.length]): Value {
    const name = this.fresh('const');
    this.initializers.push({ name, dims: shape, data: new Float32Array(values) });
    this.shapes.set(name, shape);
    return { name, shape };
  }

  /** A float scalar constant, one per value (identical nodes on it can then be merged by onnxruntime). */
  scalar(value: number): Value {
    const key = Object.is(value, -0) ? '-0' : String(value);
    let constant = this.scalars.get(key);
    if (constant === undefined) this.scalars.set(key, (constant = this.floats([value], [])));
    return constant;
  }

  int64s(values: number[]): Value {
    const name = this.fresh('shape');
    this.initializers.push({ name, dims: [values.length], data: BigInt64Array.from(values.map(BigInt)) });
    this.shapes.set(name, [values.length]);
    return { name, shape: [values.length] };
  }

  /** One node with one output of the given shape. */
  node(op: string, inputs: Value[], attributes: Record<string, AttributeValue>, shape: number[], name?: string): Value {
    const out = name ?? this.fresh(op.toLowerCase());
    this.nodes.push({ op, inputs: inputs.map((v) => v.name), outputs: [out], attributes, shapes: [shape] });
    this.shapes.set(out, shape);
    return { name: out, shape };
  }

  /** One node of another operator domain (onnxruntime's contrib operators), with one output. */
  domainNode(
    domain: string,
    op: string,
    inputs: Value[],
    attributes: Record<string, AttributeValue>,
    shape: number[],
  ): Value {
    const out = this.fresh(op.toLowerCase());
    this.nodes.push({ op, domain, inputs: inputs.map((v) => v.name), outputs: [out], attributes, shapes: [shape] });
    this.shapes.set(out, shape);
    return { name: out, shape };
  }

  /** One node with several outputs. */
  multiNode(op: string, inputs: Value[], attributes: Record<string, AttributeValue>, shapes: number[][]): Value[] {
    const outs = shapes.map((shape) => ({ name: this.fresh(op.toLowerCase()), shape }));
    this.nodes.push({ op, inputs: inputs.map((v) => v.name), outputs: outs.map((o) => o.name), attributes, shapes });
    for (const o of outs) this.shapes.set(o.name, o.shape);
    return outs;
  }

  // Shape-aware helpers for the nodes the layers and their gradients use most.

  transpose(x: Value, perm: number[]): Value {
    return this.node(
      'Transpose',
      [x],
      { perm },
      perm.map((p) => x.shape[p]!),
    );
  }

  reshape(x: Value, shape: number[]): Value {
    return this.node('Reshape', [x, this.int64s(shape)], {}, shape);
  }

  /** Elementwise with numpy broadcasting. */
  binary(op: 'Add' | 'Sub' | 'Mul' | 'Div', a: Value, b: Value): Value {
    return this.node(op, [a, b], {}, broadcastShape(a.shape, b.shape));
  }

  /** Sums over axes, keeping them as size 1 when asked. */
  reduceSum(x: Value, axes: number[], keepDims: boolean): Value {
    return this.node(
      'ReduceSum',
      [x, this.int64s(axes)],
      { keepdims: keepDims ? 1 : 0 },
      reducedShape(x.shape, axes, keepDims),
    );
  }

  /** Opset 17's ReduceMean takes its axes as an attribute (ReduceSum, as an input). */
  reduceMean(x: Value, axes: number[], keepDims: boolean): Value {
    return this.node('ReduceMean', [x], { axes, keepdims: keepDims ? 1 : 0 }, reducedShape(x.shape, axes, keepDims));
  }

  build(): OnnxGraph {
    return { nodes: this.nodes, inputs: this.inputs, outputs: this.outputs, initializers: this.initializers };
  }
}

function reducedShape(shape: number[], axes: number[], keepDims: boolean): number[] {
  return keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

export function broadcastShape(a: number[], b: number[]): number[] {
  const rank = Math.max(a.length, b.length);
  return Array.from({ length: rank }, (_, i) => {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    return da === 1 ? db : da;
  });
}
