/**
 * The tangent (forward-mode derivative) of each ONNX operator the loss and gradient graphs use:
 * ẏ from the node's inputs and their tangents (undefined: the input does not vary). Linear
 * operators apply themselves to the tangent; bilinear ones (Conv, MatMul, Gemm, Mul) give the sum
 * of both one-sided products; selections (ReLU, MaxPool, Where) pass the tangent through the
 * mask the primal chose. An operator without a rule is refused by name, never skipped.
 */
import type { GraphBuilder, Value } from './graph-builder.ts';
import type { AttributeValue, OnnxNode } from './onnx-model.ts';
import { insideMasked, leakyReluMasked, plainElementwise, sigmoidSlope } from './graph-activations.ts';
import { NCHWC_DOMAIN } from './nchwc-layout.ts';

/** Operators whose outputs do not vary with their inputs' values (comparisons, constants). */
export const NON_DIFFERENTIABLE = new Set(['Greater', 'Less', 'Equal', 'ConstantOfShape', 'Shape']);

/** Operators linear in their first input (the others being shapes, axes or indices). */
const LINEAR_IN_FIRST = new Set([
  'Identity',
  'Transpose',
  'Reshape',
  'Slice',
  'Pad',
  'ReduceSum',
  'ReduceMean',
  'Expand',
  'AveragePool',
  'Neg',
  'MaxUnpool',
  'Flatten',
  'Squeeze',
  'Unsqueeze',
  'ReorderInput',
  'ReorderOutput',
]);

type TangentLookup = (name: string) => Value | undefined;

const sameShape = (a: number[], b: number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** ẏ of `node` (one differentiable output) from its inputs' tangents. */
export function tangentOf(b: GraphBuilder, node: OnnxNode, tangentOfName: TangentLookup): Value {
  const inputs = node.inputs.map((name) => (name === '' ? undefined : b.value(name)));
  const tangents = node.inputs.map((name) => (name === '' ? undefined : tangentOfName(name)));
  const out = b.value(node.outputs[0]!);
  const attributes = node.attributes ?? {};
  const rules = new TangentRules(b, node, inputs, tangents, out, attributes);
  return rules.tangent();
}

class TangentRules {
  constructor(
    private readonly b: GraphBuilder,
    private readonly node: OnnxNode,
    private readonly inputs: Array<Value | undefined>,
    private readonly tangents: Array<Value | undefined>,
    private readonly out: Value,
    private readonly attributes: Record<string, AttributeValue>,
  ) {}

  private input(i: number): Value {
    const v = this.inputs[i];
    if (v === undefined) throw new Error(`forward tangents: ${this.node.op} has no input ${i}`);
    return v;
  }

  /** The node again with some inputs replaced (the same operator, attributes and output shape). */
  private again(replaced: Record<number, Value>, shape = this.out.shape): Value {
    const inputs = this.inputs.map((v, i) => replaced[i] ?? v);
    // An omitted optional input in the middle stays omitted: '' is how ONNX writes it.
    const values = inputs.map((v) => v ?? { name: '', shape: [] });
    while (values.length > 0 && values[values.length - 1]!.name === '') values.pop();
    return this.node.domain === NCHWC_DOMAIN
      ? this.b.domainNode(NCHWC_DOMAIN, this.node.op, values, this.attributes, shape)
      : this.b.node(this.node.op, values, this.attributes, shape);
  }

  /** The sum of the terms that exist, broadcast to the output's shape. */
  private sum(terms: Array<Value | undefined>): Value {
    const present = terms.filter((t): t is Value => t !== undefined);
    if (present.length === 0) throw new Error(`forward tangents: ${this.node.op} has no varying input`);
    const total = present.reduce((acc, t) => this.b.binary('Add', acc, t));
    if (sameShape(total.shape, this.out.shape)) return total;
    return this.b.node('Expand', [total, this.b.int64s(this.out.shape)], {}, this.out.shape);
  }

  private mul(a: Value, c: Value): Value {
    return this.b.binary('Mul', a, c);
  }

  tangent(): Value {
    const { op } = this.node;
    const t = this.tangents;
    if (LINEAR_IN_FIRST.has(op)) {
      if (t.slice(1).some((x) => x !== undefined)) throw new Error(`forward tangents: ${op} varies in a shape input`);
      return this.again({ 0: t[0]! });
    }
    switch (op) {
      case 'Concat':
        return this.again(
          Object.fromEntries(this.inputs.map((v, i) => [i, t[i] ?? this.zeros(v!.shape)])) as Record<number, Value>,
        );
      case 'Add':
        return this.sum([t[0], t[1]]);
      case 'Sub':
        return this.sum([
          t[0] !== undefined && t[1] !== undefined ? this.b.binary('Sub', t[0], t[1]) : t[0],
          t[0] === undefined && t[1] !== undefined ? this.b.node('Neg', [t[1]], {}, t[1].shape) : undefined,
        ]);
      case 'Mul':
        return this.sum([t[0] && this.mul(t[0], this.input(1)), t[1] && this.mul(this.input(0), t[1])]);
      case 'Div':
        // ẏ = (ȧ − y·ḃ)/b
        return this.sum([
          t[0] && this.b.binary('Div', t[0], this.input(1)),
          t[1] &&
            this.b.node('Neg', [this.b.binary('Div', this.mul(this.out, t[1]), this.input(1))], {}, this.out.shape),
        ]);
      case 'MatMul':
      case 'ConvTranspose':
        return this.bilinear();
      case 'Gemm':
        for (const k of ['alpha', 'beta'])
          if (this.attributes[k] !== undefined) throw new Error(`forward tangents: Gemm with ${k}`);
        return this.bilinear();
      case 'Conv':
        if (this.attributes.activation !== undefined) throw new Error('forward tangents: Conv with a fused activation');
        return this.bilinear();
      case 'Relu':
        // The mask the backward pass makes too (y > 0 on the same zero): onnxruntime merges the two.
        return this.masked(this.b.node('Greater', [this.out, this.b.scalar(0)], {}, this.out.shape), t[0]!);
      case 'LeakyRelu': {
        const alpha = (this.attributes.alpha as { float: number } | undefined)?.float ?? 0.01;
        return leakyReluMasked(this.b, plainElementwise(this.b), this.input(0), t[0]!, alpha);
      }
      case 'Clip': {
        if (t[1] !== undefined || t[2] !== undefined) throw new Error('forward tangents: Clip varies in its bounds');
        return insideMasked(this.b, plainElementwise(this.b), this.input(0), t[0]!, this.input(1), this.input(2));
      }
      case 'Sigmoid':
        return this.mul(t[0]!, sigmoidSlope(this.b, plainElementwise(this.b), this.out));
      case 'Where':
        return this.again({ 1: t[1] ?? this.b.scalar(0), 2: t[2] ?? this.b.scalar(0) });
      case 'MaxPool': {
        // ONNX's indices count over the whole flattened input (batch and channel included).
        const indices = { name: this.node.outputs[1]!, shape: this.out.shape };
        const size = this.input(0).shape.reduce((p, d) => p * d, 1);
        const flat = this.b.reshape(t[0]!, [size]);
        return this.b.node('Gather', [flat, indices], { axis: 0 }, this.out.shape);
      }
      case 'ScatterElements':
        // Linear in the data and the updates (the indices are fixed).
        if (t[1] !== undefined) throw new Error('forward tangents: ScatterElements varies in its indices');
        return this.again({ 0: t[0] ?? this.zeros(this.input(0).shape), 2: t[2] ?? this.zeros(this.input(2).shape) });
      case 'Sqrt':
        return this.b.binary('Div', t[0]!, this.mul(this.out, this.b.scalar(2)));
      case 'Reciprocal':
        return this.b.node('Neg', [this.mul(t[0]!, this.mul(this.out, this.out))], {}, this.out.shape);
      case 'ReduceSumSquare': {
        const axes = this.attributes.axes as number[];
        const keep = (this.attributes.keepdims ?? 1) === 1;
        const summed = this.b.reduceSum(this.mul(this.input(0), t[0]!), axes, keep);
        return this.mul(summed, this.b.scalar(2));
      }
      case 'Softmax': {
        const axis = (this.attributes.axis as number | undefined) ?? -1;
        const rank = this.out.shape.length;
        const weighted = this.mul(this.out, t[0]!);
        const mean = this.b.reduceSum(weighted, [(axis + rank) % rank], true);
        return this.mul(this.out, this.b.binary('Sub', t[0]!, mean));
      }
      case 'BatchNormalization':
        return this.batchNormalization();
      default:
        throw new Error(`forward tangents: no tangent rule for ${this.node.domain ?? 'ai.onnx'}.${op}`);
    }
  }

  private zeros(shape: number[]): Value {
    return this.b.node('ConstantOfShape', [this.b.int64s(shape)], { value: { tensor: 0 } }, shape);
  }

  private masked(mask: Value, tangent: Value): Value {
    return this.b.node('Where', [mask, tangent, this.b.scalar(0)], {}, this.out.shape);
  }

  /**
   * f(a, w[, bias[, sum]]) bilinear in (a, w) plus bias and sum: f(ȧ, w, ḃ) + f(a, ẇ) + ṡum, the
   * bias tangent carried by the first product that exists.
   */
  private bilinear(): Value {
    const [da, dw, dbias, dsum] = this.tangents;
    const noExtra = { 2: EMPTY, 3: EMPTY };
    let biasUsed = dbias === undefined;
    const term = (replaced: Record<number, Value>) => {
      const withBias = biasUsed ? { ...noExtra, ...replaced } : { ...noExtra, ...replaced, 2: dbias! };
      biasUsed = true;
      return this.again(withBias);
    };
    const terms = [da && term({ 0: da }), dw && term({ 1: dw })];
    if (!biasUsed) throw new Error(`forward tangents: ${this.node.op} varies in its bias alone`);
    return this.sum([...terms, dsum]);
  }

  /**
   * y = γ·(x − μ)·r + β with r = 1/√(σ² + ε), per channel of NCHW:
   * ẏ = γr·ẋ + (γ̇r − ½γr³·σ̇²)·(x − μ) + β̇ − γr·μ̇.
   */
  private batchNormalization(): Value {
    const b = this.b;
    const [x, gamma, , mean, variance] = [0, 1, 2, 3, 4].map((i) => this.input(i)) as Value[];
    const [dx, dGamma, dBeta, dMean, dVariance] = this.tangents;
    const epsilon = (this.attributes.epsilon as { float: number } | undefined)?.float ?? 1e-5;
    const c = x!.shape[1]!;
    const perChannel = (v: Value) => b.reshape(v, [1, c, 1, 1]);
    const r = b.node('Reciprocal', [b.node('Sqrt', [b.binary('Add', variance!, b.scalar(epsilon))], {}, [c])], {}, [c]);
    const gammaR = this.mul(gamma!, r);
    const centeredCoefficient = [
      dGamma && this.mul(dGamma, r),
      dVariance &&
        b.node('Neg', [this.mul(this.mul(gammaR, this.mul(r, r)), this.mul(dVariance, b.scalar(0.5)))], {}, [c]),
    ].filter((v): v is Value => v !== undefined);
    const shift = [dBeta, dMean && b.node('Neg', [this.mul(gammaR, dMean)], {}, [c])].filter(
      (v): v is Value => v !== undefined,
    );
    const add = (vs: Value[]) => vs.reduce((acc, v) => b.binary('Add', acc, v));
    return this.sum([
      dx && this.mul(dx, perChannel(gammaR)),
      centeredCoefficient.length > 0
        ? this.mul(b.binary('Sub', x!, perChannel(mean!)), perChannel(add(centeredCoefficient)))
        : undefined,
      shift.length > 0 ? perChannel(add(shift)) : undefined,
    ]);
  }
}

/** An omitted optional input. */
const EMPTY: Value = { name: '', shape: [] };
