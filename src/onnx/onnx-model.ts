/**
 * An ONNX graph as plain data, and its encoding as a ModelProto (onnx.proto field numbers,
 * IR version 8, default-domain opset 17, and version 1 of each other operator domain a node uses).
 */
import { ProtobufWriter } from './protobuf-writer.ts';

/**
 * Attribute values: integers, integer lists, `{ float }`, a one-element float tensor `{ tensor }`,
 * or `{ string }`.
 */
export type AttributeValue = number | number[] | { float: number } | { tensor: number } | { string: string };

export interface OnnxNode {
  op: string;
  /** The operator domain; the default (ai.onnx) when absent. */
  domain?: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, AttributeValue>;
  /** The outputs' static shapes, where the builder knows them (not encoded). */
  shapes?: number[][];
}

export interface OnnxValueInfo {
  name: string;
  shape: number[];
  type: 'float32' | 'int64';
}

export interface OnnxInitializer {
  name: string;
  dims: number[];
  data: Float32Array | BigInt64Array;
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  initializers: OnnxInitializer[];
}

export const OPSET_VERSION = 17;
const IR_VERSION = 8;
const DATA_TYPE = { float32: 1, int64: 7 } as const;
const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, tensor: 4, ints: 7 } as const;

function writeTensor(w: ProtobufWriter, name: string, dims: number[], data: Float32Array | BigInt64Array): void {
  w.packedInts(1, dims).int(2, data instanceof Float32Array ? DATA_TYPE.float32 : DATA_TYPE.int64);
  if (name !== '') w.string(8, name);
  w.bytesField(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

function writeAttribute(w: ProtobufWriter, name: string, value: AttributeValue): void {
  w.string(1, name);
  if (typeof value === 'number') w.int(3, value).int(20, ATTRIBUTE_TYPE.int);
  else if (Array.isArray(value)) w.packedInts(8, value).int(20, ATTRIBUTE_TYPE.ints);
  else if ('float' in value) w.float(2, value.float).int(20, ATTRIBUTE_TYPE.float);
  else if ('string' in value) w.string(4, value.string).int(20, ATTRIBUTE_TYPE.string);
  else w.message(5, (t) => writeTensor(t, '', [1], new Float32Array([value.tensor]))).int(20, ATTRIBUTE_TYPE.tensor);
}

function writeValueInfo(w: ProtobufWriter, info: OnnxValueInfo): void {
  w.string(1, info.name).message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, DATA_TYPE[info.type]).message(2, (shape) => {
        for (const d of info.shape) shape.message(1, (dim) => dim.int(1, d));
      });
    }),
  );
}

export function encodeModel(graph: OnnxGraph, name: string): Uint8Array {
  const model = new ProtobufWriter();
  model.int(1, IR_VERSION).string(2, 'weightscape');
  model.message(7, (g) => {
    graph.nodes.forEach((node, index) =>
      g.message(1, (n) => {
        for (const input of node.inputs) n.string(1, input);
        for (const output of node.outputs) n.string(2, output);
        n.string(3, `n${index}`).string(4, node.op);
        if (node.domain !== undefined) n.string(7, node.domain);
        for (const [key, value] of Object.entries(node.attributes ?? {}))
          n.message(5, (a) => writeAttribute(a, key, value));
      }),
    );
    g.string(2, name);
    for (const init of graph.initializers) g.message(5, (t) => writeTensor(t, init.name, init.dims, init.data));
    for (const input of graph.inputs) g.message(11, (v) => writeValueInfo(v, input));
    for (const output of graph.outputs) g.message(12, (v) => writeValueInfo(v, output));
  });
  model.message(8, (opset) => opset.string(1, '').int(2, OPSET_VERSION));
  const domains = new Set(graph.nodes.flatMap((node) => (node.domain === undefined ? [] : [node.domain])));
  for (const domain of domains) model.message(8, (opset) => opset.string(1, domain).int(2, 1));
  return model.finish();
}
