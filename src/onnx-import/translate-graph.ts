/**
 * Translates an ONNX graph into the layer vocabulary: a list of steps (one `Layers` call each),
 * the tensor specs of the initializers it reads (PyTorch names, roles by use) and the shapes of
 * its input and logits. Everything is checked here, once, so that running the steps cannot fail
 * on the graph: an operator outside the vocabulary, an attribute it does not support (asymmetric
 * pads, dilations, ceil_mode, auto_pad), a parameter the exporter renamed (BatchNorm folded into
 * a convolution) or computed, is refused naming the node. Shape arithmetic (PyTorch's
 * x.view(x.size(0), -1): Shape, Gather, Unsqueeze, Concat, Constant) is evaluated with the batch
 * size symbolic, and must come out as the N×−1 flatten.
 */
import { WeightscapeError } from '../errors.ts';
import type { InputSpec, TensorRole, TensorSpec } from '../models/types.ts';
import type { IntegerTensor, OnnxGraph, OnnxNode } from './read-onnx-model.ts';

/** One call of the layer vocabulary; `input`/`inputs` and `output` name values of the graph. */
export type Step =
  | {
      op: 'conv';
      input: string;
      output: string;
      prefix: string;
      stride: number;
      padding: number;
      bias: boolean;
      groups: number;
    }
  | { op: 'linear'; input: string; output: string; prefix: string; bias: boolean }
  | { op: 'batchNorm'; input: string; output: string; prefix: string }
  | { op: 'relu' | 'sigmoid' | 'flatten' | 'globalAvgPool' | 'identity'; input: string; output: string }
  | { op: 'dropout'; input: string; output: string; rate: number }
  | { op: 'leakyRelu'; input: string; output: string; alpha: number }
  | { op: 'clip'; input: string; output: string; min: number; max: number }
  | { op: 'maxPool' | 'avgPool'; input: string; output: string; size: number; stride: number; padding: number }
  | { op: 'add' | 'mul'; inputs: [string, string]; output: string }
  | { op: 'concat'; inputs: string[]; output: string };

export interface OnnxProgram {
  steps: Step[];
  /** Every initializer the steps read, in first-use order, with BatchNorm's num_batches_tracked added. */
  specs: TensorSpec[];
  /** The initializer holding each parameter: itself, or the one an Identity node copies. */
  sources: Map<string, string>;
  input: InputSpec;
  /** The graph's image input and logits output names. */
  inputName: string;
  output: string;
  classes: number;
  /** Operator counts, for inspect. */
  operators: Map<string, number>;
}

/** The operators the vocabulary covers (Constant, Identity and the shape arithmetic included). */
export const SUPPORTED_OPERATORS = [
  'Conv',
  'BatchNormalization',
  'Relu',
  'LeakyRelu',
  'Clip',
  'Sigmoid',
  'Add',
  'Mul',
  'Concat',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'Flatten',
  'Reshape',
  'Gemm',
  'MatMul',
  'Transpose',
  'Dropout',
  'Identity',
  'Constant',
  'Shape',
  'Gather',
  'Unsqueeze',
  'Cast',
  'Pad',
  'ReduceMean',
] as const;

const SUPPORTED = new Set<string>(SUPPORTED_OPERATORS);

/** How to export so that every parameter keeps its PyTorch name. */
export const EXPORT_ADVICE =
  're-export with torch.onnx.export(model.eval(), x, f, training=torch.onnx.TrainingMode.PRESERVE, ' +
  'do_constant_folding=False) so that BatchNorm stays a layer and parameters keep their PyTorch names';

/** A feature map [C, H, W] or a feature vector [F]; the batch dimension is implicit. */
type Shape = number[];
/** A shape-arithmetic value: integers, 'N' for the batch size. */
type Symbolic = (number | 'N')[];

class Translation {
  readonly steps: Step[] = [];
  readonly specs = new Map<string, TensorSpec>();
  readonly sources = new Map<string, string>();
  /** Shapes of the tensors computed so far. */
  readonly shapes = new Map<string, Shape>();
  /** Integer values of shape arithmetic and constants, rank 0 or 1. */
  readonly integers = new Map<string, { rank: 0 | 1; values: Symbolic }>();
  /** Float scalars (Constant nodes, folded constants): Clip's bounds, Dropout's ratio. */
  readonly scalars = new Map<string, number>();
  /** Zero padding not applied yet: PyTorch exports AvgPool2d's padding as Pad + AveragePool. */
  readonly padded = new Map<string, { input: string; padding: number; node: string }>();
  /** Constants of types the vocabulary never reads, by output: described for the refusal of their reader. */
  readonly opaque = new Map<string, string>();
  /** Initializers copied under a new name by an Identity node (the exporter shares equal tensors). */
  readonly aliases = new Map<string, string>();

  constructor(readonly graph: OnnxGraph) {
    for (const [name, t] of graph.integerConstants) this.integers.set(name, integerValue(t));
  }

  fail(node: OnnxNode, problem: string, advice?: string): never {
    throw new WeightscapeError('bad-file', `${this.graph.path}: node '${node.name}' (${node.opType}): ${problem}`, {
      suggestion: advice,
    });
  }

  /** The shape of a computed tensor input; initializers and unknown names are refused. */
  shape(node: OnnxNode, name: string | undefined): Shape {
    const shape = name === undefined ? undefined : this.shapes.get(name);
    if (shape !== undefined) return shape;
    const opaque = name === undefined ? undefined : this.opaque.get(name);
    if (opaque !== undefined) this.fail(node, `its input '${name}' is ${opaque}, which is not supported`);
    const pad = name === undefined ? undefined : this.padded.get(name);
    if (pad !== undefined)
      this.fail(node, `its input is the zero padding of node '${pad.node}', supported only before an AveragePool`);
    if (name !== undefined && (this.graph.initializers.has(name) || this.aliases.has(name)))
      this.fail(
        node,
        `input '${name}' is an initializer: computing with parameters (weight normalization, folded constants) ` +
          'is not supported',
      );
    return this.fail(node, `input '${name ?? ''}' is not computed by any earlier node`);
  }

  /**
   * The parameter `name` used as `<prefix>.<suffix>`, with the shape it must have: returns the prefix.
   * Refuses names the exporter made up, computed weights and shape disagreements.
   */
  parameter(node: OnnxNode, name: string | undefined, suffix: string, role: TensorRole, shape: number[]): string {
    const real = name === undefined ? undefined : (this.aliases.get(name) ?? name);
    const tensor = real === undefined ? undefined : this.graph.initializers.get(real);
    if (name === undefined || tensor === undefined) {
      const producer = this.graph.nodes.find((n) => n.outputs.includes(name ?? ''));
      const how = producer ? `computed by node '${producer.name}' (${producer.opType})` : 'not an initializer';
      this.fail(node, `its ${suffix} '${name ?? ''}' is ${how}; weightscape reads parameters as initializers`);
    }
    if (!name.endsWith(`.${suffix}`) || name.length === suffix.length + 1) {
      const folded = /^onnx::/.test(name) ? ' (a constant the exporter made, e.g. BatchNorm folded into it)' : '';
      this.fail(node, `its ${suffix} '${name}' is not named '<module>.${suffix}'${folded}`, EXPORT_ADVICE);
    }
    const show = (s: number[]) => `[${s.join(', ')}]`;
    if (show(tensor.shape) !== show(shape))
      this.fail(node, `its ${suffix} '${name}' has shape ${show(tensor.shape)} where ${show(shape)} fits`);
    const earlier = this.specs.get(name);
    if (earlier !== undefined && earlier.role !== role)
      this.fail(node, `'${name}' is used both as ${earlier.role} and as ${role}`);
    this.specs.set(name, { name, shape, role });
    this.sources.set(name, real!);
    return name.slice(0, -(suffix.length + 1));
  }
}

function integerValue(t: IntegerTensor): { rank: 0 | 1; values: Symbolic } {
  return { rank: t.shape.length === 0 ? 0 : 1, values: [...t.values] };
}

function intsAttribute(node: OnnxNode, name: string): number[] | undefined {
  const a = node.attributes.get(name);
  if (a === undefined) return undefined;
  if (a.kind === 'ints') return a.value;
  if (a.kind === 'int') return [a.value];
  return undefined;
}

function intAttribute(node: OnnxNode, name: string, fallback: number): number {
  const a = node.attributes.get(name);
  return a?.kind === 'int' ? a.value : fallback;
}

function floatAttribute(node: OnnxNode, name: string, fallback: number): number {
  const a = node.attributes.get(name);
  return a?.kind === 'float' ? a.value : fallback;
}

/** Refuses any attribute not in `known`, naming it. */
function onlyAttributes(t: Translation, node: OnnxNode, known: string[]): void {
  for (const name of node.attributes.keys())
    if (!known.includes(name)) t.fail(node, `attribute '${name}' is not supported`);
}

/** auto_pad NOTSET, dilations 1, one spatial size, stride and symmetric padding: what the vocabulary's windows take. */
function window(t: Translation, node: OnnxNode, kernel: number[]): { size: number; stride: number; padding: number } {
  const autoPad = node.attributes.get('auto_pad');
  if (autoPad !== undefined && !(autoPad.kind === 'string' && autoPad.value === 'NOTSET'))
    t.fail(node, `auto_pad ${autoPad.kind === 'string' ? autoPad.value : '?'} is not supported (explicit pads are)`);
  const dilations = intsAttribute(node, 'dilations') ?? [1, 1];
  if (dilations.some((d) => d !== 1)) t.fail(node, `dilations [${dilations.join(', ')}] are not supported`);
  if (kernel.length !== 2 || kernel[0] !== kernel[1]) t.fail(node, `a ${kernel.join('×')} kernel is not supported`);
  const strides = intsAttribute(node, 'strides') ?? [1, 1];
  if (strides.length !== 2 || strides[0] !== strides[1]) t.fail(node, `strides [${strides.join(', ')}] differ`);
  const pads = intsAttribute(node, 'pads') ?? [0, 0, 0, 0];
  if (pads.length !== 4 || pads.some((p) => p !== pads[0]))
    t.fail(node, `asymmetric pads [${pads.join(', ')}] are not supported`);
  if (intAttribute(node, 'ceil_mode', 0) !== 0) t.fail(node, 'ceil_mode 1 is not supported');
  return { size: kernel[0]!, stride: strides[0]!, padding: pads[0]! };
}

function windowOutput(
  t: Translation,
  node: OnnxNode,
  input: Shape,
  w: { size: number; stride: number; padding: number },
) {
  if (input.length !== 3) t.fail(node, 'expects a feature map');
  const side = (n: number) => Math.floor((n + 2 * w.padding - w.size) / w.stride) + 1;
  const [h, wd] = [side(input[1]!), side(input[2]!)];
  if (!(h >= 1 && wd >= 1)) t.fail(node, `a ${input[1]}×${input[2]} map is too small for its window`);
  return [h, wd];
}

function conv(t: Translation, node: OnnxNode): void {
  onlyAttributes(t, node, ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides']);
  const input = t.shape(node, node.inputs[0]);
  if (input.length !== 3) t.fail(node, 'expects a feature map');
  const weight = t.graph.initializers.get(t.aliases.get(node.inputs[1] ?? '') ?? node.inputs[1] ?? '');
  // A weight that is not an initializer is refused as such, before its shape is read.
  if (weight === undefined) t.parameter(node, node.inputs[1], 'weight', 'conv-weight', []);
  const groups = intAttribute(node, 'group', 1);
  const shape = weight?.shape ?? [];
  const kernel = intsAttribute(node, 'kernel_shape') ?? shape.slice(2);
  const w = window(t, node, kernel);
  const outChannels = shape[0] ?? 0;
  const expected = [outChannels, input[0]! / groups, w.size, w.size];
  if (!(groups >= 1 && input[0]! % groups === 0 && outChannels % groups === 0))
    t.fail(node, `group ${groups} does not divide its ${input[0]} input and ${outChannels} output channels`);
  const prefix = t.parameter(node, node.inputs[1], 'weight', 'conv-weight', expected);
  const bias = node.inputs[2] !== undefined && node.inputs[2] !== '';
  if (bias && t.parameter(node, node.inputs[2], 'bias', 'bias', [outChannels]) !== prefix)
    t.fail(node, `its weight and bias belong to different modules`);
  t.steps.push({ op: 'conv', input: node.inputs[0]!, output: node.outputs[0]!, prefix, bias, groups, ...w });
  t.shapes.set(node.outputs[0]!, [outChannels, ...windowOutput(t, node, input, w)]);
}

/** float32(1e-5), PyTorch's default epsilon and weightscape's. */
const EPSILON = Math.fround(1e-5);
/** ONNX's momentum is PyTorch's 1 − momentum: 0.9 for PyTorch's default 0.1, what weightscape trains with. */
const MOMENTUM = Math.fround(0.9);

function batchNorm(t: Translation, node: OnnxNode): void {
  onlyAttributes(t, node, ['epsilon', 'momentum', 'training_mode']);
  const input = t.shape(node, node.inputs[0]);
  if (input.length !== 3) t.fail(node, 'expects a feature map');
  if (intAttribute(node, 'training_mode', 0) !== 0 || node.outputs.filter((o) => o !== '').length > 1)
    t.fail(node, 'is exported in training mode', 'export the model in eval mode (model.eval())');
  const epsilon = floatAttribute(node, 'epsilon', EPSILON);
  if (Math.fround(epsilon) !== EPSILON) t.fail(node, `epsilon ${epsilon} is not PyTorch's default 1e-5`);
  const momentum = floatAttribute(node, 'momentum', MOMENTUM);
  if (Math.fround(momentum) !== MOMENTUM)
    t.fail(node, `momentum ${momentum} is not ONNX's 0.9 (PyTorch's default 0.1, which weightscape trains with)`);
  const channels = [input[0]!];
  const prefixes = [
    t.parameter(node, node.inputs[1], 'weight', 'bn-weight', channels),
    t.parameter(node, node.inputs[2], 'bias', 'bn-bias', channels),
    t.parameter(node, node.inputs[3], 'running_mean', 'bn-running-mean', channels),
    t.parameter(node, node.inputs[4], 'running_var', 'bn-running-var', channels),
  ];
  if (prefixes.some((p) => p !== prefixes[0])) t.fail(node, 'its four tensors belong to different modules');
  const count = `${prefixes[0]}.num_batches_tracked`;
  t.specs.set(count, { name: count, shape: [], role: 'bn-count' });
  t.steps.push({ op: 'batchNorm', input: node.inputs[0]!, output: node.outputs[0]!, prefix: prefixes[0]! });
  t.shapes.set(node.outputs[0]!, input);
}

function gemm(t: Translation, node: OnnxNode): void {
  onlyAttributes(t, node, ['alpha', 'beta', 'transA', 'transB']);
  const input = t.shape(node, node.inputs[0]);
  if (input.length !== 1) t.fail(node, 'expects a feature vector (flatten first)');
  if (floatAttribute(node, 'alpha', 1) !== 1 || floatAttribute(node, 'beta', 1) !== 1)
    t.fail(node, 'alpha and beta other than 1 are not supported');
  if (intAttribute(node, 'transA', 0) !== 0 || intAttribute(node, 'transB', 0) !== 1)
    t.fail(node, "only transA = 0, transB = 1 (PyTorch's Linear) is supported");
  const weight = t.graph.initializers.get(t.aliases.get(node.inputs[1] ?? '') ?? node.inputs[1] ?? '');
  if (weight === undefined) t.parameter(node, node.inputs[1], 'weight', 'linear-weight', []);
  const out = weight?.shape[0] ?? 0;
  const prefix = t.parameter(node, node.inputs[1], 'weight', 'linear-weight', [out, input[0]!]);
  const bias = node.inputs[2] !== undefined && node.inputs[2] !== '';
  if (bias && t.parameter(node, node.inputs[2], 'bias', 'bias', [out]) !== prefix)
    t.fail(node, `its weight and bias belong to different modules`);
  t.steps.push({ op: 'linear', input: node.inputs[0]!, output: node.outputs[0]!, prefix, bias });
  t.shapes.set(node.outputs[0]!, [out]);
}

/** PyTorch's bias-free Linear: MatMul(x, Transpose(weight, perm [1, 0])). */
function matMul(t: Translation, node: OnnxNode, transposed: Map<string, string>): void {
  const input = t.shape(node, node.inputs[0]);
  if (input.length !== 1) t.fail(node, 'expects a feature vector (flatten first)');
  const weightName = transposed.get(node.inputs[1] ?? '');
  if (weightName === undefined)
    t.fail(
      node,
      "only x·weightᵀ with the weight an initializer (PyTorch's bias-free Linear) is supported",
      EXPORT_ADVICE,
    );
  const out = t.graph.initializers.get(t.aliases.get(weightName) ?? weightName)?.shape[0] ?? 0;
  const prefix = t.parameter(node, weightName, 'weight', 'linear-weight', [out, input[0]!]);
  t.steps.push({ op: 'linear', input: node.inputs[0]!, output: node.outputs[0]!, prefix, bias: false });
  t.shapes.set(node.outputs[0]!, [out]);
}

function pool(t: Translation, node: OnnxNode): void {
  const max = node.opType === 'MaxPool';
  const extra = max ? ['storage_order'] : ['count_include_pad'];
  onlyAttributes(t, node, ['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'strides', ...extra]);
  if (node.outputs.length > 1 && node.outputs[1] !== '') t.fail(node, 'its Indices output is not supported');
  const pad = max ? undefined : t.padded.get(node.inputs[0] ?? '');
  const source = pad?.input ?? node.inputs[0]!;
  const input = t.shape(node, source);
  const w = window(t, node, intsAttribute(node, 'kernel_shape') ?? []);
  if (pad !== undefined) {
    if (w.padding !== 0) t.fail(node, 'pads both before (node ' + `'${pad.node}') and in the pool`);
    // Zeros padded first and counted: PyTorch's count_include_pad.
    w.padding = pad.padding;
  } else if (!max && w.padding > 0 && intAttribute(node, 'count_include_pad', 0) !== 1)
    t.fail(node, "count_include_pad 0 with padding is not supported (PyTorch's default counts the padding)");
  if (max && intAttribute(node, 'storage_order', 0) !== 0) t.fail(node, 'storage_order 1 is not supported');
  t.steps.push({ op: max ? 'maxPool' : 'avgPool', input: source, output: node.outputs[0]!, ...w });
  t.shapes.set(node.outputs[0]!, [input[0]!, ...windowOutput(t, node, input, w)]);
}

/** A float scalar input (Clip's bounds): a Constant or an initializer of one value. */
function scalarInput(t: Translation, node: OnnxNode, index: number, fallback: number): number {
  const name = node.inputs[index];
  if (name === undefined || name === '') return fallback;
  const value = t.scalars.get(name) ?? t.graph.initializers.get(name)?.values;
  if (typeof value === 'number') return value;
  if (value !== undefined && value.length === 1) return value[0]!;
  return t.fail(node, `input '${name}' must be a constant scalar`);
}

function constant(t: Translation, node: OnnxNode): void {
  const value = node.attributes.get('value');
  if (value?.kind === 'other' && value.what !== undefined) {
    // Refused by the node that reads it (a training-mode Dropout's flag: by the Dropout, which says why).
    t.opaque.set(node.outputs[0]!, `${value.what} constant (node '${node.name}')`);
    return;
  }
  if (node.attributes.size !== 1 || value?.kind !== 'tensor')
    t.fail(node, "only a Constant with a float or int64 'value' tensor is supported");
  const output = node.outputs[0]!;
  if (value.dtype === 'int64') {
    t.integers.set(output, integerValue(value.value as IntegerTensor));
    return;
  }
  if (value.value.values.length !== 1)
    t.fail(
      node,
      'a float tensor constant is a computed weight; only scalars (Clip bounds) are supported',
      EXPORT_ADVICE,
    );
  t.scalars.set(output, value.value.values[0]!);
}

function symbolic(t: Translation, node: OnnxNode, index: number): { rank: 0 | 1; values: Symbolic } {
  const value = t.integers.get(node.inputs[index] ?? '');
  if (value === undefined) return t.fail(node, `input '${node.inputs[index] ?? ''}' must be constant shape arithmetic`);
  return value;
}

/** Shape, Gather, Unsqueeze and Concat of integers: PyTorch's x.size(0) and friends. */
function shapeArithmetic(t: Translation, node: OnnxNode): void {
  const output = node.outputs[0]!;
  switch (node.opType) {
    case 'Shape': {
      onlyAttributes(t, node, []);
      t.integers.set(output, { rank: 1, values: ['N', ...t.shape(node, node.inputs[0])] });
      return;
    }
    case 'Gather': {
      onlyAttributes(t, node, ['axis']);
      const data = symbolic(t, node, 0);
      const indices = symbolic(t, node, 1);
      if (data.rank !== 1 || intAttribute(node, 'axis', 0) !== 0)
        t.fail(node, 'only gathering from a shape is supported');
      const pick = (i: number | 'N') => {
        const at = typeof i === 'number' ? (i < 0 ? data.values.length + i : i) : -1;
        if (at < 0 || at >= data.values.length) return t.fail(node, `index ${i} is out of range`);
        return data.values[at]!;
      };
      t.integers.set(output, { rank: indices.rank, values: indices.values.map(pick) });
      return;
    }
    case 'Unsqueeze': {
      const value = symbolic(t, node, 0);
      const axes = node.inputs[1] ? symbolic(t, node, 1).values : (intsAttribute(node, 'axes') ?? []);
      if (value.rank !== 0 || axes.length !== 1 || axes[0] !== 0)
        t.fail(node, 'only a scalar to a 1-vector is supported');
      t.integers.set(output, { rank: 1, values: value.values });
      return;
    }
    case 'Concat': {
      const parts = node.inputs.map((_, i) => symbolic(t, node, i));
      if (parts.some((p) => p.rank !== 1)) t.fail(node, 'only concatenating integer vectors is supported');
      t.integers.set(output, { rank: 1, values: parts.flatMap((p) => p.values) });
      return;
    }
  }
}

/** Constant zero padding of H and W alike: an identity, or the padding of the AveragePool that follows. */
function pad(t: Translation, node: OnnxNode): void {
  onlyAttributes(t, node, ['mode']);
  const mode = node.attributes.get('mode');
  if (mode !== undefined && !(mode.kind === 'string' && mode.value === 'constant'))
    t.fail(node, `mode ${mode.kind === 'string' ? mode.value : '?'} is not supported (constant zeros are)`);
  if (scalarInput(t, node, 2, 0) !== 0) t.fail(node, 'padding with a value other than 0 is not supported');
  if (node.inputs[3]) t.fail(node, 'an axes input is not supported');
  const input = t.shape(node, node.inputs[0]);
  const pads = symbolic(t, node, 1).values;
  const [n0, c0, top, left, n1, c1, bottom, right] = pads;
  if (input.length !== 3 || pads.length !== 8 || n0 !== 0 || c0 !== 0 || n1 !== 0 || c1 !== 0)
    t.fail(node, `only padding H and W of a feature map is supported (pads [${pads.join(', ')}])`);
  if (![left, bottom, right].every((p) => p === top) || typeof top !== 'number' || top < 0)
    t.fail(node, `asymmetric pads [${pads.join(', ')}] are not supported`);
  if (top === 0) {
    t.steps.push({ op: 'identity', input: node.inputs[0]!, output: node.outputs[0]! });
    t.shapes.set(node.outputs[0]!, input);
    return;
  }
  t.padded.set(node.outputs[0]!, { input: node.inputs[0]!, padding: top, node: node.name });
}

/** Cast of a constant scalar to float (PyTorch's ReLU6 bounds): a float scalar. */
function cast(t: Translation, node: OnnxNode): void {
  onlyAttributes(t, node, ['to']);
  const input = node.inputs[0] ?? '';
  const integer = t.integers.get(input);
  const value = t.scalars.get(input) ?? (integer?.rank === 0 ? integer.values[0] : undefined);
  if (typeof value !== 'number' || intAttribute(node, 'to', 0) !== 1)
    t.fail(node, 'only casting a constant scalar to float is supported');
  t.scalars.set(node.outputs[0]!, value);
}

/** Reshape to N×−1 (the batch symbolic, 0 for "keep", or the export's own batch size): a flatten. */
function reshape(t: Translation, node: OnnxNode): void {
  onlyAttributes(t, node, ['allowzero']);
  const input = t.shape(node, node.inputs[0]);
  const target = symbolic(t, node, 1).values;
  const size = input.reduce((a, b) => a * b, 1);
  const leading = target[0];
  const batchLike = leading === 'N' || leading === 0 || (typeof leading === 'number' && leading > 0);
  const rest = target[1];
  // x.view(x.size(0), -1), its constant-folded [batch, -1], and x.view(-1, C·H·W).
  const flat =
    target.length === 2 && ((batchLike && (rest === -1 || rest === size)) || (leading === -1 && rest === size));
  if (!flat || intAttribute(node, 'allowzero', 0) !== 0)
    t.fail(node, `only the N×−1 flatten is supported (target shape [${target.join(', ')}])`);
  t.steps.push({ op: input.length === 1 ? 'identity' : 'flatten', input: node.inputs[0]!, output: node.outputs[0]! });
  t.shapes.set(node.outputs[0]!, [size]);
}

function elementwise(t: Translation, node: OnnxNode): void {
  onlyAttributes(t, node, []);
  let [a, b] = [node.inputs[0] ?? '', node.inputs[1] ?? ''];
  let [sa, sb] = [t.shape(node, a), t.shape(node, b)];
  const show = (s: Shape) => `[${s.join(', ')}]`;
  if (node.opType === 'Mul' && show(sa) !== show(sb) && sa.length === 3 && sa[1] === 1 && sa[2] === 1) {
    [a, b] = [b, a];
    [sa, sb] = [sb, sa];
  }
  const perChannel = node.opType === 'Mul' && sa.length === 3 && show(sb) === show([sa[0]!, 1, 1]);
  if (show(sa) !== show(sb) && !perChannel)
    t.fail(
      node,
      `inputs of shapes ${show(sa)} and ${show(sb)} (same shapes${node.opType === 'Mul' ? ' or a per-channel 1×1 map' : ''} are supported)`,
    );
  t.steps.push({ op: node.opType === 'Add' ? 'add' : 'mul', inputs: [a, b], output: node.outputs[0]! });
  t.shapes.set(node.outputs[0]!, sa);
}

function concat(t: Translation, node: OnnxNode): void {
  if (t.integers.has(node.inputs[0] ?? '')) return shapeArithmetic(t, node);
  onlyAttributes(t, node, ['axis']);
  const shapes = node.inputs.map((name) => t.shape(node, name));
  if (shapes.some((s) => s.length !== 3) || intAttribute(node, 'axis', 1) !== 1)
    t.fail(node, 'only concatenating feature maps along the channel axis is supported');
  if (shapes.some((s) => s[1] !== shapes[0]![1] || s[2] !== shapes[0]![2])) t.fail(node, 'its maps differ in size');
  t.steps.push({ op: 'concat', inputs: [...node.inputs], output: node.outputs[0]! });
  t.shapes.set(node.outputs[0]!, [shapes.reduce((c, s) => c + s[0]!, 0), shapes[0]![1]!, shapes[0]![2]!]);
}

function unary(t: Translation, node: OnnxNode): void {
  const input = t.shape(node, node.inputs[0]);
  const io = { input: node.inputs[0]!, output: node.outputs[0]! };
  switch (node.opType) {
    case 'Relu':
    case 'Sigmoid':
      onlyAttributes(t, node, []);
      t.steps.push({ op: node.opType === 'Relu' ? 'relu' : 'sigmoid', ...io });
      break;
    case 'LeakyRelu':
      onlyAttributes(t, node, ['alpha']);
      t.steps.push({ op: 'leakyRelu', ...io, alpha: floatAttribute(node, 'alpha', 0.01) });
      break;
    case 'Clip': {
      onlyAttributes(t, node, []);
      const [min, max] = [scalarInput(t, node, 1, -Infinity), scalarInput(t, node, 2, Infinity)];
      // x.clamp(min=0) is a ReLU (but for the gradient at exactly 0: clamp's 1, ReLU's 0).
      if (min === 0 && max === Infinity) {
        t.steps.push({ op: 'relu', ...io });
        break;
      }
      if (!(Number.isFinite(min) && Number.isFinite(max) && min < max))
        t.fail(node, `bounds [${min}, ${max}] are not supported (both finite as ReLU6's, or [0, ∞) as ReLU's)`);
      t.steps.push({ op: 'clip', ...io, min, max });
      break;
    }
    case 'Dropout': {
      onlyAttributes(t, node, ['seed']);
      if (node.inputs[2]) t.fail(node, 'is exported in training mode', 'export the model in eval mode (model.eval())');
      if (node.outputs.length > 1 && node.outputs[1] !== '') t.fail(node, 'its mask output is not supported');
      t.steps.push({ op: 'dropout', ...io, rate: scalarInput(t, node, 1, 0.5) });
      break;
    }
    case 'GlobalAveragePool':
      onlyAttributes(t, node, []);
      if (input.length !== 3) t.fail(node, 'expects a feature map');
      t.steps.push({ op: 'globalAvgPool', ...io });
      t.shapes.set(io.output, [input[0]!, 1, 1]);
      return;
    case 'Flatten':
      onlyAttributes(t, node, ['axis']);
      if (intAttribute(node, 'axis', 1) !== 1) t.fail(node, 'only axis 1 is supported');
      t.steps.push({ op: input.length === 1 ? 'identity' : 'flatten', ...io });
      t.shapes.set(io.output, [input.reduce((a, b) => a * b, 1)]);
      return;
  }
  t.shapes.set(io.output, input);
}

/** The mean over H and W (x.mean((2, 3)), keepdim or not): the global average pool, flattened without keepdim. */
function reduceMean(t: Translation, node: OnnxNode): void {
  onlyAttributes(t, node, ['axes', 'keepdims']);
  const input = t.shape(node, node.inputs[0]);
  const axes = (intsAttribute(node, 'axes') ?? []).map((a) => (a < 0 ? a + 4 : a)).sort();
  if (input.length !== 3 || node.inputs.length > 1 || axes.join(',') !== '2,3')
    t.fail(node, 'only the mean over H and W of a feature map is supported');
  const keep = intAttribute(node, 'keepdims', 1) !== 0;
  const output = node.outputs[0]!;
  const pooled = keep ? output : `${output} (global average)`;
  t.steps.push({ op: 'globalAvgPool', input: node.inputs[0]!, output: pooled });
  if (!keep) t.steps.push({ op: 'flatten', input: pooled, output });
  t.shapes.set(output, keep ? [input[0]!, 1, 1] : [input[0]!]);
}

/** Identity of a tensor is an alias step; of an initializer, a second parameter under the new (PyTorch) name. */
function identity(t: Translation, node: OnnxNode): void {
  const input = node.inputs[0] ?? '';
  if (t.graph.initializers.has(input) || t.aliases.has(input)) {
    t.aliases.set(node.outputs[0]!, t.aliases.get(input) ?? input);
    return;
  }
  t.steps.push({ op: 'identity', input, output: node.outputs[0]! });
  t.shapes.set(node.outputs[0]!, t.shape(node, input));
}

/** The unsupported operators of a graph by name, with the first node that uses each. */
export function unsupportedOperators(graph: OnnxGraph): { opType: string; node: string; count: number }[] {
  const found = new Map<string, { opType: string; node: string; count: number }>();
  for (const node of graph.nodes) {
    const key = node.domain === '' || node.domain === 'ai.onnx' ? node.opType : `${node.domain}.${node.opType}`;
    if (SUPPORTED.has(key)) continue;
    const entry = found.get(key) ?? { opType: key, node: node.name, count: 0 };
    entry.count++;
    found.set(key, entry);
  }
  return [...found.values()];
}

/** Operator counts in file order of first use. */
export function operatorCounts(graph: OnnxGraph): Map<string, number> {
  const counts = new Map<string, number>();
  for (const node of graph.nodes) counts.set(node.opType, (counts.get(node.opType) ?? 0) + 1);
  return counts;
}

/** The graph as vocabulary steps; refuses what the vocabulary cannot express, naming the node. */
export function translateGraph(graph: OnnxGraph): OnnxProgram {
  const unsupported = unsupportedOperators(graph);
  if (unsupported.length > 0) {
    const list = unsupported.map(
      (u) => `${u.opType} (node '${u.node}'${u.count > 1 ? ` and ${u.count - 1} more` : ''})`,
    );
    throw new WeightscapeError('bad-file', `${graph.path}: unsupported operator ${list.join(', ')}`, {
      suggestion: `weightscape imports ${SUPPORTED_OPERATORS.filter((o) => /^[A-Z]/.test(o)).join(', ')}`,
    });
  }
  const t = new Translation(graph);
  const { channels, height, width } = graph.input;
  t.shapes.set(graph.input.name, [channels, height, width]);
  // Transposed initializers feed MatMul (PyTorch's bias-free Linear); recorded, checked at the MatMul.
  const transposed = new Map<string, string>();
  for (const node of graph.nodes) {
    if (node.outputs.length === 0 || node.outputs[0] === '') t.fail(node, 'has no output');
    switch (node.opType) {
      case 'Conv':
        conv(t, node);
        break;
      case 'BatchNormalization':
        batchNorm(t, node);
        break;
      case 'Gemm':
        gemm(t, node);
        break;
      case 'MatMul':
        matMul(t, node, transposed);
        break;
      case 'Transpose': {
        const perm = intsAttribute(node, 'perm');
        const source = t.aliases.get(node.inputs[0] ?? '') ?? node.inputs[0] ?? '';
        if (!t.graph.initializers.has(source) || perm?.join(',') !== '1,0')
          t.fail(node, "only the transpose of a linear layer's weight (perm [1, 0]) is supported");
        transposed.set(node.outputs[0]!, node.inputs[0]!);
        break;
      }
      case 'MaxPool':
      case 'AveragePool':
        pool(t, node);
        break;
      case 'Add':
      case 'Mul':
        elementwise(t, node);
        break;
      case 'Concat':
        concat(t, node);
        break;
      case 'Reshape':
        reshape(t, node);
        break;
      case 'Constant':
        constant(t, node);
        break;
      case 'Shape':
      case 'Gather':
      case 'Unsqueeze':
        shapeArithmetic(t, node);
        break;
      case 'Identity':
        identity(t, node);
        break;
      case 'Pad':
        pad(t, node);
        break;
      case 'Cast':
        cast(t, node);
        break;
      case 'ReduceMean':
        reduceMean(t, node);
        break;
      default:
        unary(t, node);
    }
  }
  const logits = t.shapes.get(graph.output);
  if (logits === undefined || logits.length !== 1 || logits[0]! < 2)
    throw new WeightscapeError(
      'bad-file',
      `${graph.path}: the output '${graph.output}' is not a vector of class scores (shape [${logits?.join(', ') ?? '?'}])`,
    );
  return {
    steps: t.steps,
    specs: [...t.specs.values()],
    sources: t.sources,
    input: { height, width, channels },
    inputName: graph.input.name,
    output: graph.output,
    classes: logits[0]!,
    operators: operatorCounts(graph),
  };
}
