/**
 * Convolutions in onnxruntime's blocked NCHWc layout with the filters reordered in the graph
 * (conv-filter.ts): the block probe, and models wide enough for every layout the graphs use
 * (OIHWBiBo, OIHWBo for a 1-channel input, flipped filters of input gradients) against tfjs
 * autodiff on the wasm backend and against the same graph with plain Conv nodes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { releaseBackend, selectBackend } from '../../src/backend/select-backend.ts';
import { architecture } from '../../src/models/registry.ts';
import { crossEntropyPerExample } from '../../src/models/loss.ts';
import type { ModelConfig, ModelWeights } from '../../src/models/types.ts';
import {
  buildLossGraph,
  INPUT_GRADIENT_OUTPUT,
  LOSS_OUTPUT,
  paramGradientOutput,
  type LossGraphRequest,
} from '../../src/onnx/loss-graph.ts';
import { probeNchwcBlock } from '../../src/onnx/nchwc-block.ts';
import { encodeModel, type OnnxNode } from '../../src/onnx/onnx-model.ts';
import { splitWeightPreparation } from '../../src/onnx/weight-preparation.ts';
import { loadOnnxRuntime, type OnnxRuntime } from '../../src/onnx/onnx-runtime.ts';
import { initWeights } from '../../src/train/init-weights.ts';
import { describeFixture, fixtureInputSpec } from '../helpers/fixtures.ts';
import { l2RelativeError } from '../helpers/reference-ops.ts';
import { mnistConvnet } from '../helpers/model-configs.ts';

const BATCH = 8;
const MODELS: ModelConfig[] = [
  mnistConvnet(16, 32),
  { arch: 'preact-resnet18', options: { width: 16 }, input: { height: 32, width: 32, channels: 3 }, classes: 10 },
];

let runtime: OnnxRuntime;
let block: number | undefined;

before(async () => {
  await selectBackend('wasm');
  const loaded = loadOnnxRuntime(2);
  assert.ok(typeof loaded !== 'string', `onnxruntime did not load: ${loaded}`);
  runtime = loaded;
  block = probeNchwcBlock(runtime);
});
after(async () => {
  await releaseBackend();
});

function inputs(config: ModelConfig, seed: number) {
  const { height, width, channels } = config.input;
  const x = tf.randomUniform([BATCH, height, width, channels], 0, 1, 'float32', seed) as tf.Tensor4D;
  const labels = tf.tensor1d(
    Array.from({ length: BATCH }, (_, i) => (i * 3) % config.classes),
    'int32',
  );
  return { x, labels };
}

type GraphRequest = Pick<LossGraphRequest, 'training' | 'inputGradient' | 'paramGradients' | 'lossScale'>;
type Feed = { data: Float32Array; dims: readonly number[] };

/** The loss graph of a batch of BATCH for the weights' shapes (blocked when nchwcBlock is set). */
function lossGraph(config: ModelConfig, weights: ModelWeights, request: GraphRequest, nchwcBlock: number | undefined) {
  const shapes = (m: Record<string, tf.Tensor>) => Object.fromEntries(Object.entries(m).map(([k, t]) => [k, t.shape]));
  return buildLossGraph(config, {
    ...request,
    batch: BATCH,
    loss: true,
    logits: false,
    paramShapes: shapes(weights.params),
    stateShapes: shapes(weights.state),
    nchwcBlock,
  });
}

/** The feeds of a batch: the images and the one-hot labels. */
function batchFeeds(config: ModelConfig, x: tf.Tensor4D, labels: tf.Tensor1D): { x: Feed; one_hot: Feed } {
  const oneHot = new Float32Array(BATCH * config.classes);
  labels.dataSync().forEach((label, i) => {
    oneHot[i * config.classes + label] = 1;
  });
  return {
    x: { data: x.dataSync() as Float32Array, dims: x.shape },
    one_hot: { data: oneHot, dims: [BATCH, config.classes] },
  };
}

/** Runs the loss graph (blocked or plain) on the weights and batch; returns the named outputs. */
function runGraph(
  config: ModelConfig,
  weights: ModelWeights,
  x: tf.Tensor4D,
  labels: tf.Tensor1D,
  request: GraphRequest,
  nchwcBlock: number | undefined,
) {
  const graph = lossGraph(config, weights, request, nchwcBlock);
  const blockedConvs = graph.graph.nodes.filter((n) => n.domain === 'com.microsoft.nchwc' && n.op === 'Conv').length;
  const feeds: Record<string, Feed> = batchFeeds(config, x, labels);
  for (const name of graph.paramNames)
    feeds[name] = { data: weights.params[name]!.dataSync() as Float32Array, dims: weights.params[name]!.shape };
  for (const name of graph.stateNames)
    feeds[name] = { data: weights.state[name]!.dataSync() as Float32Array, dims: weights.state[name]!.shape };
  const outputs = [
    LOSS_OUTPUT,
    ...(request.inputGradient ? [INPUT_GRADIENT_OUTPUT] : []),
    ...(request.paramGradients ? graph.paramNames.map(paramGradientOutput) : []),
  ];
  const session = runtime.session(encodeModel(graph.graph, 'loss'));
  try {
    return { out: session.run(feeds, outputs), blockedConvs, paramNames: graph.paramNames };
  } finally {
    session.dispose();
  }
}

const WIDE_RESNET_BLOCKED =
  'the wide-resnet fixture (16, 32, 64 channels) trains in the blocked layout, ' +
  'so onnx-engine.test.ts checks blocked convolutions and BatchNorm against PyTorch and tfjs';
test(WIDE_RESNET_BLOCKED, (t) => {
  if (block === undefined) return t.skip('onnxruntime has no NCHWc layout here');
  const d = describeFixture('wide-resnet');
  const config: ModelConfig = {
    arch: 'wide-resnet',
    options: d.options,
    input: fixtureInputSpec(d),
    classes: d.classes,
  };
  const weights = initWeights(config, 1);
  const shapes = (m: Record<string, tf.Tensor>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.shape]));
  const graph = buildLossGraph(config, {
    training: true,
    batch: d.batch,
    loss: true,
    logits: false,
    inputGradient: true,
    paramGradients: true,
    lossScale: 1,
    paramShapes: shapes(weights.params),
    stateShapes: shapes(weights.state),
    nchwcBlock: block,
  });
  const blockedConvs = graph.graph.nodes.filter((n) => n.domain === 'com.microsoft.nchwc' && n.op === 'Conv');
  const depthwise = blockedConvs.filter((n) => typeof n.attributes?.group === 'number' && n.attributes.group > 1);
  assert.ok(
    blockedConvs.length - depthwise.length >= 8,
    `${blockedConvs.length - depthwise.length} blocked convolutions`,
  );
  // Per blocked BatchNorm: the normalization, x̂, and dy's two per-channel passes.
  assert.ok(depthwise.length >= 4 * 6, `${depthwise.length} depthwise (BatchNorm) passes`);
  tf.dispose([...Object.values(weights.params), ...Object.values(weights.state)]);
});

test(
  "the NCHWc block probe finds MLAS's block on x86-64 (8 with AVX2, 16 with AVX-512)",
  { skip: process.arch !== 'x64' },
  () => {
    assert.ok(block === 8 || block === 16, `block ${block}`);
  },
);

for (const config of MODELS) {
  const name = `${config.arch} (width ${(config.options as { width: number }).width})`;

  // Eval mode: train-mode BatchNorm makes a random-init ResNet's first-layer gradients so
  // ill-conditioned that float32 summation order alone moves them by ~1e-3 (plain graph and tfjs
  // differ as much); the convolutions are the same in both modes.
  test(`${name}: the blocked graph's input and parameter gradients equal tfjs autodiff (‖Δ‖/‖g‖ < 1e-4) and the plain graph's (< 1e-5)`, (t) => {
    if (block === undefined) return t.skip('onnxruntime has no NCHWc layout here');
    const weights = initWeights(config, 2);
    const { x, labels } = inputs(config, 4);
    const net = architecture(config.arch);
    const names = Object.keys(weights.params);
    const loss = (input: tf.Tensor, ...ps: tf.Tensor[]) =>
      tf.sum(
        crossEntropyPerExample(
          net.forward(
            { params: Object.fromEntries(names.map((n, i) => [n, ps[i]!])), state: weights.state },
            input as tf.Tensor4D,
            config,
            { training: false },
          ).logits,
          labels,
        ),
      );
    const want = tf.tidy(() =>
      tf
        .grads(loss)([x, ...names.map((n) => weights.params[n]!)])
        .map((g) => g.dataSync()),
    );
    const request = { training: false, inputGradient: true, paramGradients: true, lossScale: 1 };
    const blocked = runGraph(config, weights, x, labels, request, block);
    const plain = runGraph(config, weights, x, labels, request, undefined);
    assert.ok(blocked.blockedConvs >= 4, `only ${blocked.blockedConvs} blocked convolutions`);
    assert.equal(plain.blockedConvs, 0);
    [INPUT_GRADIENT_OUTPUT, ...names.map(paramGradientOutput)].forEach((output, i) => {
      const got = blocked.out[output]!;
      const error = l2RelativeError(got, want[i]!);
      assert.ok(error < 1e-4, `${output} vs tfjs: ‖Δ‖/‖g‖ = ${error}`);
      const vsPlain = l2RelativeError(got, plain.out[output]!);
      assert.ok(vsPlain < 1e-5, `${output} vs plain: ‖Δ‖/‖g‖ = ${vsPlain}`);
    });
    tf.dispose([x, labels, ...Object.values(weights.params), ...Object.values(weights.state)]);
  });
}

const SPLIT_GRAPH =
  "preact-resnet18 (width 16): the graph split into weight preparation and per-batch parts gives the full graph's " +
  'input gradient, and the per-batch part reorders no filters';
test(SPLIT_GRAPH, (t) => {
  if (block === undefined) return t.skip('onnxruntime has no NCHWc layout here');
  const config = MODELS[1]!;
  const weights = initWeights(config, 2);
  const { x, labels } = inputs(config, 4);
  const request = { training: false, inputGradient: true, paramGradients: false, lossScale: 1 };
  const full = runGraph(config, weights, x, labels, request, block);
  const graph = lossGraph(config, weights, request, block);
  const { preparation, prepared, main, mainWeights } = graph.split;
  assert.ok(preparation !== undefined && prepared.length > 0);
  const weightFeed = (name: string) => {
    const t = weights.params[name] ?? weights.state[name]!;
    return { data: t.dataSync() as Float32Array, dims: t.shape };
  };
  const prep = runtime.session(preparation.model);
  const mainSession = runtime.session(main);
  try {
    const made = prep.run(
      Object.fromEntries(preparation.inputs.map((name) => [name, weightFeed(name)])),
      prepared.map((p) => p.name),
    );
    const out = mainSession.run(
      {
        ...Object.fromEntries(mainWeights.map((name) => [name, weightFeed(name)])),
        ...Object.fromEntries(prepared.map(({ name, shape }) => [name, { data: made[name]!, dims: shape }])),
        ...batchFeeds(config, x, labels),
      },
      [INPUT_GRADIENT_OUTPUT],
    );
    assert.ok(l2RelativeError(out[INPUT_GRADIENT_OUTPUT]!, full.out[INPUT_GRADIENT_OUTPUT]!) < 1e-6);
  } finally {
    prep.dispose();
    mainSession.dispose();
  }
  const split = splitWeightPreparation(graph.graph, [...graph.paramNames, ...graph.stateNames]);
  const transposes = (nodes: OnnxNode[]) => nodes.filter((n) => n.op === 'Transpose').length;
  assert.ok(
    transposes(split.preparation!.nodes) >= 17,
    `${transposes(split.preparation!.nodes)} filter transposes prepared`,
  );
  // What stays per batch transposes only images and their gradients.
  assert.ok(split.main.nodes.filter((n) => n.op === 'Transpose').every((n) => n.shapes![0]![0] === BATCH));
  tf.dispose([x, labels, ...Object.values(weights.params), ...Object.values(weights.state)]);
});
