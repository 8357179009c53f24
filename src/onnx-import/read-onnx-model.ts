/**
 * Reads an ONNX model file (as torch.onnx.export writes it) into a plain typed graph: its nodes in
 * file order, float32 initializers as host tensors, small int64 constants (Reshape's shapes), the
 * one image input and the opset. Untrusted input: every size the file states is checked against
 * the bytes that hold it and against the tensor budget before anything is allocated; external
 * data, sparse and segmented tensors and non-float parameters are refused.
 */
import { createHash } from 'node:crypto';
import { WeightscapeError } from '../errors.ts';
import type { HostTensor } from '../checkpoints/host-tensor.ts';
import { readInputFile } from '../checkpoints/read-input-file.ts';
import { TensorBudget, valueCount } from '../checkpoints/tensor-budget.ts';
import {
  MODEL_PROTO,
  ONNX_ATTRIBUTE_TYPE,
  ONNX_DATA_TYPE,
  type Int64,
  type RawAttribute,
  type RawModel,
  type RawTensor,
} from './onnx-schema.ts';

/** Protobuf's own limit on a message: no valid ONNX file (without external data) is larger. */
export const MAX_ONNX_FILE_BYTES = 2 * 1024 ** 3;
/** Far more nodes than any CNN the vocabulary describes (a ResNet-152 export has about 500). */
export const MAX_ONNX_NODES = 100_000;
export const MAX_TENSOR_RANK = 8;
/** Integer tensors are shape constants: a handful of values. */
export const MAX_INTEGER_CONSTANT_VALUES = 64;
/** The opsets whose operator semantics the importer implements. */
export const SUPPORTED_OPSETS = { min: 13, max: 17 } as const;

/** An integer tensor (int64 in the file): Reshape's target shapes, Unsqueeze's axes, Gather's indices. */
export interface IntegerTensor {
  shape: number[];
  values: number[];
}

export type AttributeValue =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'floats'; value: number[] }
  | { kind: 'ints'; value: number[] }
  | { kind: 'tensor'; value: HostTensor | IntegerTensor; dtype: 'float32' | 'int64' }
  | { kind: 'other'; type: number; what?: string };

export interface OnnxNode {
  /** The node's name, or `<opType> #<index>` when the file gives none. */
  name: string;
  opType: string;
  /** '' for the default ONNX domain. */
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Map<string, AttributeValue>;
}

export interface OnnxGraph {
  path: string;
  sha256: string;
  opset: number;
  producer: string;
  nodes: OnnxNode[];
  /** Float32 initializers by name, in PyTorch layout (what the exporter wrote). */
  initializers: Map<string, HostTensor>;
  /** Int64 initializers (shape constants) by name. */
  integerConstants: Map<string, IntegerTensor>;
  /** The image input: its name and [C, H, W] (the batch dimension is free). */
  input: { name: string; channels: number; height: number; width: number };
  output: string;
}

const bad = (path: string, problem: string) => new WeightscapeError('bad-file', `${path}: ${problem}`);

/** An int64 from the decoder as a safe JavaScript integer, or an error naming `what`. */
function int64(value: Int64 | null | undefined, path: string, what: string): number {
  // protobufjs leaves absent message fields null, absent scalars at their default.
  if (value === undefined || value === null) return 0;
  const big = BigInt(typeof value === 'number' ? value : value.toString());
  if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER))
    throw bad(path, `${what} ${big} is out of range`);
  return Number(big);
}

function dims(raw: RawTensor, path: string, what: string): number[] {
  const shape = (raw.dims ?? []).map((d) => int64(d, path, `${what}: dimension`));
  if (shape.length > MAX_TENSOR_RANK) throw bad(path, `${what} has rank ${shape.length} (at most ${MAX_TENSOR_RANK})`);
  if (shape.some((d) => d < 0 || d > 2 ** 31 - 1)) throw bad(path, `${what} has a bad shape [${shape.join(', ')}]`);
  return shape;
}

/** The storage checks every tensor gets: no external data, segments or doubles. */
function checkStorage(raw: RawTensor, path: string, what: string): void {
  if (raw.dataLocation === 1 || (raw.externalData ?? []).length > 0)
    throw bad(path, `${what} keeps its values in an external file, which is not supported`);
  if ((raw.segment?.length ?? 0) > 0) throw bad(path, `${what} is segmented`);
}

/** A float32 tensor from raw_data (little-endian) or float_data, its length checked against the shape. */
function floatTensor(raw: RawTensor, shape: number[], path: string, what: string, budget: TensorBudget): HostTensor {
  budget.claim(raw.name || what, shape);
  const count = Number(valueCount(shape));
  const rawBytes = raw.rawData?.length ?? 0;
  const floats = raw.floatData ?? [];
  if (rawBytes > 0) {
    if (rawBytes !== count * 4)
      throw bad(path, `${what} [${shape.join(', ')}] needs ${count * 4} bytes of raw data but has ${rawBytes}`);
    const bytes = raw.rawData!;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) values[i] = view.getFloat32(i * 4, true);
    return { dtype: 'float32', shape, values };
  }
  if (floats.length !== count)
    throw bad(path, `${what} [${shape.join(', ')}] has ${count} values but the file holds ${floats.length}`);
  return { dtype: 'float32', shape, values: Float32Array.from(floats) };
}

/** A small int64 tensor (raw_data or int64_data). */
function integerTensor(raw: RawTensor, shape: number[], path: string, what: string): IntegerTensor {
  const count = Number(valueCount(shape));
  if (count > MAX_INTEGER_CONSTANT_VALUES)
    throw bad(path, `${what}: an int64 tensor of ${count} values (only shape constants are read)`);
  const rawBytes = raw.rawData?.length ?? 0;
  if (rawBytes > 0) {
    if (rawBytes !== count * 8) throw bad(path, `${what} needs ${count * 8} bytes of raw data but has ${rawBytes}`);
    const view = new DataView(raw.rawData!.buffer, raw.rawData!.byteOffset, rawBytes);
    const values = Array.from({ length: count }, (_, i) => int64(view.getBigInt64(i * 8, true), path, what));
    return { shape, values };
  }
  const values = (raw.int64Data ?? []).map((v) => int64(v, path, what));
  if (values.length !== count) throw bad(path, `${what} has ${count} values but the file holds ${values.length}`);
  return { shape, values };
}

const DATA_TYPE_NAMES: Record<number, string> = {
  0: 'undefined',
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  16: 'bfloat16',
};
export const dataTypeName = (type: number | undefined) => DATA_TYPE_NAMES[type ?? 0] ?? `type ${type}`;

function readAttribute(raw: RawAttribute, path: string, where: string): AttributeValue {
  const what = `${where}, attribute '${raw.name ?? ''}'`;
  if (raw.refAttrName) throw bad(path, `${what} refers to a function attribute, which is not supported`);
  switch (raw.type) {
    case ONNX_ATTRIBUTE_TYPE.FLOAT:
      return { kind: 'float', value: raw.f ?? 0 };
    case ONNX_ATTRIBUTE_TYPE.INT:
      return { kind: 'int', value: int64(raw.i, path, what) };
    case ONNX_ATTRIBUTE_TYPE.STRING:
      // An absent bytes field decodes as protobufjs's default, which need not be a Uint8Array.
      return { kind: 'string', value: raw.s instanceof Uint8Array ? new TextDecoder().decode(raw.s) : '' };
    case ONNX_ATTRIBUTE_TYPE.FLOATS:
      return { kind: 'floats', value: [...(raw.floats ?? [])] };
    case ONNX_ATTRIBUTE_TYPE.INTS:
      return { kind: 'ints', value: (raw.ints ?? []).map((v) => int64(v, path, what)) };
    case ONNX_ATTRIBUTE_TYPE.TENSOR: {
      const t = raw.t ?? {};
      checkStorage(t, path, what);
      const shape = dims(t, path, what);
      if (t.dataType === ONNX_DATA_TYPE.INT64)
        return { kind: 'tensor', dtype: 'int64', value: integerTensor(t, shape, path, what) };
      if (t.dataType === ONNX_DATA_TYPE.FLOAT)
        return {
          kind: 'tensor',
          dtype: 'float32',
          // Constants are counted against a budget of their own: they are small or refused later.
          value: floatTensor(t, shape, path, what, new TensorBudget(path)),
        };
      // Other types (a training-mode Dropout's bool flag) are refused by the node that uses them.
      return { kind: 'other', type: raw.type, what: `a ${dataTypeName(t.dataType)} tensor` };
    }
    default:
      return { kind: 'other', type: raw.type ?? 0 };
  }
}

function decode(bytes: Uint8Array, path: string): RawModel {
  try {
    return MODEL_PROTO.decode(bytes) as unknown as RawModel;
  } catch (error) {
    // protobufjs reports truncation and bad wire types as errors, deep nesting as a RangeError.
    const reason = error instanceof Error ? error.message : String(error);
    throw bad(path, `not a readable ONNX model (truncated or corrupt: ${reason})`);
  }
}

function opsetOf(model: RawModel, path: string): number {
  const entry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  if (entry === undefined) throw bad(path, 'names no ONNX opset (not an ONNX model?)');
  const opset = int64(entry.version, path, 'opset');
  if (opset < SUPPORTED_OPSETS.min || opset > SUPPORTED_OPSETS.max)
    throw bad(path, `opset ${opset} is not supported (${SUPPORTED_OPSETS.min} to ${SUPPORTED_OPSETS.max})`);
  return opset;
}

/** Reads and checks an ONNX file; `options.maxTensorBytes` bounds its initializers like a checkpoint's. */
export function readOnnxModel(path: string, options: { maxTensorBytes?: number } = {}): OnnxGraph {
  const bytes = readInputFile(path, 'an ONNX model');
  if (bytes.byteLength > MAX_ONNX_FILE_BYTES)
    throw bad(path, `${bytes.byteLength} bytes is larger than an ONNX file can be (${MAX_ONNX_FILE_BYTES})`);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const model = decode(bytes, path);
  const graph = model.graph;
  if (!graph || (graph.node ?? []).length === 0) throw bad(path, 'holds no graph (not an ONNX model?)');
  const opset = opsetOf(model, path);
  if ((model.functions ?? []).length > 0) throw bad(path, 'defines local functions, which are not supported');
  if ((graph.sparseInitializer ?? []).length > 0) throw bad(path, 'has sparse initializers, which are not supported');
  const rawNodes = graph.node ?? [];
  if (rawNodes.length > MAX_ONNX_NODES)
    throw bad(path, `has ${rawNodes.length} nodes (at most ${MAX_ONNX_NODES} are read)`);

  const budget = new TensorBudget(path, options.maxTensorBytes);
  const initializers = new Map<string, HostTensor>();
  const integerConstants = new Map<string, IntegerTensor>();
  for (const raw of graph.initializer ?? []) {
    const name = raw.name ?? '';
    const what = `initializer '${name}'`;
    if (initializers.has(name) || integerConstants.has(name)) throw bad(path, `${what} is defined twice`);
    checkStorage(raw, path, what);
    const shape = dims(raw, path, what);
    if (raw.dataType === ONNX_DATA_TYPE.FLOAT) initializers.set(name, floatTensor(raw, shape, path, what, budget));
    else if (raw.dataType === ONNX_DATA_TYPE.INT64) integerConstants.set(name, integerTensor(raw, shape, path, what));
    else throw bad(path, `${what} is ${dataTypeName(raw.dataType)}; parameters must be float32`);
  }

  const nodes = rawNodes.map((raw, index): OnnxNode => {
    const opType = raw.opType ?? '';
    const name = raw.name || `${opType} #${index}`;
    const attributes = new Map<string, AttributeValue>();
    for (const a of raw.attribute ?? []) attributes.set(a.name ?? '', readAttribute(a, path, `node '${name}'`));
    return { name, opType, domain: raw.domain ?? '', inputs: raw.input ?? [], outputs: raw.output ?? [], attributes };
  });

  // Exporters before IR 4 also list initializers as inputs: the image is the one that is not.
  const inputs = (graph.input ?? []).filter(
    (i) => !initializers.has(i.name ?? '') && !integerConstants.has(i.name ?? ''),
  );
  if (inputs.length !== 1) throw bad(path, `has ${inputs.length} graph inputs; one image input is supported`);
  const input = inputs[0]!;
  const tensorType = input.type?.tensorType;
  const inputDims = tensorType?.shape?.dim ?? [];
  const what = `input '${input.name ?? ''}'`;
  if (tensorType?.elemType !== ONNX_DATA_TYPE.FLOAT)
    throw bad(path, `${what} is ${dataTypeName(tensorType?.elemType)}; a float32 image is supported`);
  const fixed = inputDims.slice(1).map((d) => (d.dimParam ? NaN : int64(d.dimValue, path, what)));
  if (inputDims.length !== 4 || fixed.some((d) => !(d >= 1 && d <= 65536)))
    throw bad(path, `${what} must be an N×C×H×W image with fixed C, H and W`);
  const outputs = graph.output ?? [];
  if (outputs.length !== 1) throw bad(path, `has ${outputs.length} graph outputs; one (the logits) is supported`);
  const [channels, height, width] = fixed as [number, number, number];
  return {
    path,
    sha256,
    opset,
    producer: `${model.producerName ?? ''} ${model.producerVersion ?? ''}`.trim(),
    nodes,
    initializers,
    integerConstants,
    input: { name: input.name ?? '', channels, height, width },
    output: outputs[0]!.name ?? '',
  };
}
