/**
 * What the ONNX importer refuses, and how: each refusal one WeightscapeError line naming the file
 * and (for graph problems) the node and operator. Hostile files are refused before anything they
 * describe is allocated. Graphs are written with weightscape's own ONNX writer (opset 17).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCheckpoint } from '../../src/checkpoints/load-checkpoint.ts';
import { fixedShape, resolveModelConfig } from '../../src/checkpoints/model-config.ts';
import { WeightscapeError } from '../../src/errors.ts';
import { describeOnnx } from '../../src/onnx-import/describe-onnx.ts';
import { readOnnxModel } from '../../src/onnx-import/read-onnx-model.ts';
import { GraphBuilder, type Value } from '../../src/onnx/graph-builder.ts';
import { encodeModel, type AttributeValue } from '../../src/onnx/onnx-model.ts';
import { ProtobufWriter } from '../../src/onnx/protobuf-writer.ts';

const DIR = fileURLToPath(new URL('../../fixtures/onnx/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'weightscape-onnx-import-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function refuses(path: string, pattern: RegExp, suggestion?: RegExp): void {
  assert.throws(
    () => loadCheckpoint(path),
    (error: unknown) => {
      assert.ok(error instanceof WeightscapeError, String(error));
      assert.equal(error.code, 'bad-file');
      assert.ok(error.message.startsWith(`${path}: `), error.message);
      assert.doesNotMatch(error.message, /\n/);
      assert.match(error.message, pattern);
      if (suggestion) assert.match(error.suggestion ?? '', suggestion);
      return true;
    },
  );
}

/** One convolution (conv.weight 4×3×3×3 on a 3×8×8 input) with the given Conv attributes, then a linear head. */
function convModel(
  name: string,
  attributes: Record<string, AttributeValue>,
  { weightName = 'conv.weight', op = 'Conv' } = {},
): string {
  const g = new GraphBuilder();
  const x = g.input('input', [1, 3, 8, 8]);
  const w: Value = { name: weightName, shape: [4, 3, 3, 3] };
  const y = g.node(op, op === 'Conv' ? [x, w] : [x], attributes, [1, 4, 8, 8], 'y');
  const pooled = g.node('GlobalAveragePool', [y], {}, [1, 4, 1, 1]);
  const flat = g.node('Flatten', [pooled], { axis: 1 }, [1, 4]);
  const logits = g.node('Gemm', [flat, { name: 'fc.weight', shape: [10, 4] }], { transB: 1 }, [1, 10]);
  g.output(logits, 'logits');
  const graph = g.build();
  graph.initializers.push(
    { name: weightName, dims: [4, 3, 3, 3], data: new Float32Array(108).fill(0.1) },
    { name: 'fc.weight', dims: [10, 4], data: new Float32Array(40).fill(0.1) },
  );
  const path = join(dir, `${name}.onnx`);
  writeFileSync(path, encodeModel(graph, name));
  return path;
}

const CONV = { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] };

test('a graph written by weightscape itself imports (the refusals below differ from it in one thing)', () => {
  const d = describeOnnx(convModel('plain', CONV));
  assert.equal(d.problem, null);
  assert.deepEqual(
    d.tensors.map((t) => t.name),
    ['conv.weight', 'fc.weight'],
  );
  assert.equal(d.parameters, 108 + 40);
  assert.equal(d.classes, 10);
});

for (const [title, attributes, pattern] of [
  ['dilations', { ...CONV, dilations: [2, 2] }, /node 'n0' \(Conv\): dilations \[2, 2\] are not supported/],
  ['asymmetric pads', { ...CONV, pads: [1, 1, 0, 0] }, /node 'n0' \(Conv\): asymmetric pads \[1, 1, 0, 0\]/],
  ['auto_pad', { ...CONV, auto_pad: { string: 'SAME_UPPER' } }, /node 'n0' \(Conv\): auto_pad SAME_UPPER/],
  ['unequal strides', { ...CONV, strides: [1, 2] }, /node 'n0' \(Conv\): strides \[1, 2\] differ/],
  ['an unknown attribute', { ...CONV, foo: 1 }, /node 'n0' \(Conv\): attribute 'foo' is not supported/],
] as const) {
  test(`Conv with ${title} is refused naming the node and the attribute`, () => {
    refuses(convModel(title.replace(/ /g, '-'), attributes as Record<string, AttributeValue>), pattern);
  });
}

test('MaxPool with ceil_mode is refused naming the node', () => {
  const path = convModel(
    'ceil',
    { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], ceil_mode: 1 },
    {
      op: 'MaxPool',
    },
  );
  refuses(path, /node 'n0' \(MaxPool\): ceil_mode 1 is not supported/);
});

test('a weight the exporter renamed (BatchNorm folded into the convolution) is refused with how to re-export', () => {
  refuses(
    convModel('renamed', CONV, { weightName: 'onnx::Conv_12' }),
    /node 'n0' \(Conv\): its weight 'onnx::Conv_12' is not named '<module>\.weight' \(a constant the exporter made/,
    /TrainingMode\.PRESERVE, do_constant_folding=False/,
  );
  // What PyTorch 1.13 writes by default: BatchNorm folded into every convolution.
  refuses(
    `${DIR}resnet-ish-folded.onnx`,
    /node '\/stem\/Conv' \(Conv\): its weight 'onnx::Conv_\d+' is not named/,
    /re-export with torch\.onnx\.export\(model\.eval\(\), x, f, training=torch\.onnx\.TrainingMode\.PRESERVE/,
  );
});

test('a weight computed in the graph is refused naming the node that computes it', () => {
  const g = new GraphBuilder();
  const x = g.input('input', [1, 3, 8, 8]);
  const w = g.node('Relu', [x], {}, [1, 3, 8, 8], 'computed');
  const y = g.node('Conv', [x, w], CONV, [1, 4, 8, 8]);
  g.output(y, 'logits');
  const path = join(dir, 'computed.onnx');
  writeFileSync(path, encodeModel(g.build(), 'computed'));
  refuses(path, /node 'n1' \(Conv\): its weight 'computed' is computed by node 'n0' \(Relu\)/);
});

test('an operator outside the vocabulary is refused by name with the node using it', () => {
  refuses(`${DIR}softplus.onnx`, /unsupported operator Softplus \(node '\/Softplus'\)$/);
  const d = describeOnnx(`${DIR}softplus.onnx`);
  assert.deepEqual(d.unsupported, [{ opType: 'Softplus', node: '/Softplus', count: 1 }]);
  assert.deepEqual(
    d.operators.map((o) => `${o.opType}×${o.count}`),
    ['Conv×1', 'Softplus×1', 'Flatten×1', 'Gemm×1'],
  );
});

test('a truncated file and a file that is not ONNX are refused in one line', () => {
  const bytes = readFileSync(`${DIR}resnet-ish.onnx`);
  for (const cut of [bytes.length - 1, Math.floor(bytes.length / 2), 3]) {
    const path = join(dir, `cut-${cut}.onnx`);
    writeFileSync(path, bytes.subarray(0, cut));
    refuses(path, /not a readable ONNX model|holds no graph/);
  }
  const other = join(dir, 'labels.onnx');
  writeFileSync(other, readFileSync(`${DIR}resnet-ish.labels.npy`));
  refuses(other, /not a readable ONNX model|holds no graph|names no ONNX opset/);
});

/** A ModelProto by hand: one Relu node and one initializer written by `tensor`, at `opset`. */
function handMade(name: string, tensor: (t: ProtobufWriter) => void, opset = 13): string {
  const model = new ProtobufWriter().int(1, 8);
  model.message(7, (g) => {
    g.message(1, (n) => n.string(1, 'input').string(2, 'y').string(3, 'relu').string(4, 'Relu'));
    g.message(5, (t) => tensor(t.string(8, 'w.weight')));
  });
  model.message(8, (o) => o.string(1, '').int(2, opset));
  const path = join(dir, `${name}.onnx`);
  writeFileSync(path, model.finish());
  return path;
}

test('hostile tensors: sizes are checked against the bytes and the budget before anything is allocated', () => {
  // 2^16 × 2^16 floats (16 GiB) described by 4 bytes: the budget refuses it first.
  refuses(
    handMade('huge', (t) => t.packedInts(1, [65536, 65536]).int(2, 1).bytesField(9, new Uint8Array(4))),
    /tensor 'w\.weight' \[65536, 65536\] has 4294967296 values .*limit/,
  );
  refuses(
    handMade('short', (t) => t.packedInts(1, [3]).int(2, 1).bytesField(9, new Uint8Array(8))),
    /initializer 'w\.weight' \[3\] needs 12 bytes of raw data but has 8/,
  );
  refuses(
    handMade('negative', (t) => t.packedInts(1, [-1]).int(2, 1)),
    /initializer 'w\.weight' has a bad shape \[-1\]/,
  );
  refuses(
    handMade('external', (t) => t.packedInts(1, [3]).int(2, 1).int(14, 1)),
    /initializer 'w\.weight' keeps its values in an external file/,
  );
  refuses(
    handMade('double', (t) => t.packedInts(1, [3]).int(2, 11).bytesField(9, new Uint8Array(24))),
    /initializer 'w\.weight' is float64; parameters must be float32/,
  );
  refuses(
    handMade('opset', (t) => t.packedInts(1, [1]).int(2, 1).bytesField(9, new Uint8Array(4)), 11),
    /opset 11 is not supported \(13 to 17\)/,
  );
});

test('the configuration pins the file: a changed file, other data and other classes are refused', () => {
  const file = `${DIR}resnet-ish.onnx`;
  const checkpoint = loadCheckpoint(file);
  assert.equal(checkpoint.format, 'onnx');
  assert.deepEqual(JSON.parse(checkpoint.metadata.options!), { file, sha256: checkpoint.sha256 });
  const sha256 = 'f'.repeat(64);
  assert.throws(
    () => resolveModelConfig(checkpoint, { arch: 'onnx', options: { file, sha256 } }),
    /the ONNX file changed \(SHA-256 [0-9a-f]{64}, the model configuration says f{64}\)/,
  );
  const options = { file, sha256: checkpoint.sha256 };
  assert.throws(
    () => fixedShape('onnx', options, { input: { height: 28, width: 28, channels: 1 } }),
    /resnet-ish\.onnx takes 3×16×16 images \(C×H×W\) but the data are 1×28×28/,
  );
  assert.throws(() => fixedShape('onnx', options, { classes: 100 }), /--classes 100: .* has 10 classes/);
  assert.equal(readOnnxModel(file).nodes.length, 36);
});
