/**
 * The part of ONNX's onnx.proto (proto2) that importing a CNN reads, as a protobufjs JSON
 * descriptor with the specification's field numbers. Fields left out (nested graphs of control
 * flow, sparse tensors, training info, functions) are skipped by the decoder without recursion;
 * their operators are refused by name anyway.
 */
import protobuf from 'protobufjs';

/** TensorProto.DataType values (onnx.proto). */
export const ONNX_DATA_TYPE = {
  FLOAT: 1,
  INT64: 7,
} as const;

/** AttributeProto.AttributeType values (onnx.proto). */
export const ONNX_ATTRIBUTE_TYPE = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
} as const;

const SCHEMA = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            producerName: { type: 'string', id: 2 },
            producerVersion: { type: 'string', id: 3 },
            domain: { type: 'string', id: 4 },
            graph: { type: 'GraphProto', id: 7 },
            opsetImport: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
            functions: { rule: 'repeated', type: 'bytes', id: 25 },
          },
        },
        OperatorSetIdProto: {
          fields: {
            domain: { type: 'string', id: 1 },
            version: { type: 'int64', id: 2 },
          },
        },
        GraphProto: {
          fields: {
            node: { rule: 'repeated', type: 'NodeProto', id: 1 },
            name: { type: 'string', id: 2 },
            initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
            input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
            output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
            // Only counted: a sparse initializer is refused.
            sparseInitializer: { rule: 'repeated', type: 'bytes', id: 15 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: 'repeated', type: 'string', id: 1 },
            output: { rule: 'repeated', type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 },
            domain: { type: 'string', id: 7 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            floats: { rule: 'repeated', type: 'float', id: 7 },
            ints: { rule: 'repeated', type: 'int64', id: 8 },
            type: { type: 'int32', id: 20 },
            refAttrName: { type: 'string', id: 21 },
          },
        },
        TensorProto: {
          fields: {
            dims: { rule: 'repeated', type: 'int64', id: 1 },
            dataType: { type: 'int32', id: 2 },
            // Only checked for presence: a segmented tensor is refused.
            segment: { type: 'bytes', id: 3 },
            floatData: { rule: 'repeated', type: 'float', id: 4 },
            int32Data: { rule: 'repeated', type: 'int32', id: 5 },
            int64Data: { rule: 'repeated', type: 'int64', id: 7 },
            name: { type: 'string', id: 8 },
            rawData: { type: 'bytes', id: 9 },
            doubleData: { rule: 'repeated', type: 'double', id: 10 },
            externalData: { rule: 'repeated', type: 'bytes', id: 13 },
            dataLocation: { type: 'int32', id: 14 },
          },
        },
        ValueInfoProto: {
          fields: {
            name: { type: 'string', id: 1 },
            type: { type: 'TypeProto', id: 2 },
          },
        },
        TypeProto: {
          fields: {
            tensorType: { type: 'TypeProtoTensor', id: 1 },
          },
        },
        TypeProtoTensor: {
          fields: {
            elemType: { type: 'int32', id: 1 },
            shape: { type: 'TensorShapeProto', id: 2 },
          },
        },
        TensorShapeProto: {
          fields: {
            dim: { rule: 'repeated', type: 'TensorShapeDimension', id: 1 },
          },
        },
        TensorShapeDimension: {
          fields: {
            dimValue: { type: 'int64', id: 1 },
            dimParam: { type: 'string', id: 2 },
          },
        },
      },
    },
  },
};

/** The decoder of ModelProto, built once. */
export const MODEL_PROTO: protobuf.Type = protobuf.Root.fromJSON(SCHEMA).lookupType('onnx.ModelProto');

/** An int64 as protobufjs hands it over (a number, or a Long when the 'long' package is present). */
export type Int64 = number | { toString(): string };

/** The decoded messages, as far as the importer reads them. */
export interface RawTensor {
  dims?: Int64[];
  dataType?: number;
  segment?: Uint8Array;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: Int64[];
  name?: string;
  rawData?: Uint8Array;
  doubleData?: number[];
  externalData?: Uint8Array[];
  dataLocation?: number;
}

export interface RawAttribute {
  name?: string;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: RawTensor;
  floats?: number[];
  ints?: Int64[];
  type?: number;
  refAttrName?: string;
}

export interface RawNode {
  input?: string[];
  output?: string[];
  name?: string;
  opType?: string;
  attribute?: RawAttribute[];
  domain?: string;
}

export interface RawValueInfo {
  name?: string;
  type?: {
    tensorType?: { elemType?: number; shape?: { dim?: { dimValue?: Int64; dimParam?: string }[] } };
  };
}

export interface RawModel {
  irVersion?: Int64;
  producerName?: string;
  producerVersion?: string;
  opsetImport?: { domain?: string; version?: Int64 }[];
  functions?: Uint8Array[];
  graph?: {
    node?: RawNode[];
    name?: string;
    initializer?: RawTensor[];
    input?: RawValueInfo[];
    output?: RawValueInfo[];
    sparseInitializer?: Uint8Array[];
  };
}
