/**
 * The layer-vocabulary cases of fixtures/make_layer_fixtures.py (PyTorch float64): each small
 * network written once against Layers<T> and run in the three contexts: ForwardContext (tfjs
 * forward and autodiff gradients), TangentContext (reverse-over-forward Hessian-vector products)
 * and GraphLayers (onnxruntime: forward, the tape's gradients and forward-over-reverse products,
 * plain or in the blocked NCHWc layout). For L = Σ r ⊙ net(x) each runner returns the output, the
 * gradients of L (x and parameters) and H·v over the parameters, as flat arrays in PyTorch's layouts.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { releaseBackend, selectBackend } from '../../src/backend/select-backend.ts';
import { ForwardContext } from '../../src/models/forward-context.ts';
import type { Layers } from '../../src/models/layers.ts';
import { TangentContext, type Dual, type PoolMasks } from '../../src/models/tangent-context.ts';
import { toPytorchLayout, toTfjsLayout } from '../../src/models/tensor-layout.ts';
import type { TensorMap, TensorRole } from '../../src/models/types.ts';
import { forwardTangents } from '../../src/onnx/forward-tangents.ts';
import { GraphBuilder, type Value } from '../../src/onnx/graph-builder.ts';
import { GraphLayers } from '../../src/onnx/graph-layers.ts';
import { NCHWC_DOMAIN } from '../../src/onnx/nchwc-layout.ts';
import { encodeModel, type OnnxGraph } from '../../src/onnx/onnx-model.ts';
import { probeNchwcBlock } from '../../src/onnx/nchwc-block.ts';
import { loadOnnxRuntime, type OnnxRuntime } from '../../src/onnx/onnx-runtime.ts';
import { splitWeightPreparation } from '../../src/onnx/weight-preparation.ts';
import { l2RelativeError } from './reference-ops.ts';

/** A case's network on any implementation of the vocabulary, ending in a [N, F] output. */
type Network = <T>(l: Layers<T>, x: T) => T;

export const LAYER_CASES: Record<string, Network> = {
  pools: (l, x) => {
    let y = l.conv('c1', x, 1, 1, true);
    y = l.conv('c2', l.maxPool(y, 3, 2, 1), 1, 0);
    y = l.avgPool(y, 3, 1, 1);
    y = l.maxPool(y, 3, 1);
    y = l.avgPool(y, 2, 2, 1);
    return l.flatten(l.maxPool(y, 2));
  },
  groups: (l, x) => {
    let y = l.relu(l.conv('stem', x, 1, 1));
    y = l.conv('dw', y, 2, 1, false, 16);
    y = l.relu(l.conv('g4', y, 1, 1, true, 4));
    y = l.conv('g2', y, 1, 1, false, 2);
    y = l.conv('mult', y, 1, 0, true, 16);
    y = l.conv('dw5', y, 1, 2, false, 32);
    return l.flatten(l.conv('head', y, 1, 0));
  },
  heads: (l, x) => {
    let y = l.flatten(l.globalAvgPool(l.conv('c1', x, 1, 1, true)));
    y = l.sigmoid(l.leakyRelu(l.linear('fc1', y, false), 0.1));
    y = l.clip(l.linear('fc2', y), 0, 6);
    return l.linear('fc3', y);
  },
  activations: (l, x) => {
    let y = l.leakyRelu(l.conv('c1', x, 1, 1, true), 0.2);
    y = l.clip(l.conv('c2', y, 1, 1), -1, 2);
    y = l.sigmoid(l.conv('c3', y, 1, 0));
    return l.flatten(l.clip(l.conv('c4', y, 1, 0), 0, 6));
  },
  'se-concat': (l, x) => {
    const a = l.conv('c1', x, 1, 1);
    const gate = l.sigmoid(l.conv('fc', l.relu(l.globalAvgPool(a)), 1, 0, true));
    // The gate first: either side may be the per-channel one.
    const gated = l.mul(gate, a);
    const b = l.conv('c2', gated, 1, 1);
    return l.flatten(l.conv('mix', l.concat([gated, b, l.mul(gated, b)]), 1, 0));
  },
  kinks: (l, x) => {
    const y = l.conv('id', x, 1, 0);
    const parts = [l.relu(y), l.clip(y, 0, 6), l.leakyRelu(y, 0.1), l.maxPool(y, 3, 2, 1), l.maxPool(y, 2)];
    const joined = l.concat(parts.map((p) => l.flatten(p)));
    return l.mul(joined, joined);
  },
};

export type LayerCaseName = keyof typeof LAYER_CASES;

interface Stored {
  shape: number[];
  data: number[];
}

interface FixtureCase {
  input: Stored;
  params: Record<string, Stored>;
  r: number[];
  v: Record<string, number[]>;
  output: Stored;
  gradients: Record<string, number[]>;
  hvp: Record<string, number[]>;
}

const FIXTURE = fileURLToPath(new URL('../../fixtures/layers/layer-cases.json', import.meta.url));
let fixtures: Record<string, FixtureCase> | undefined;

/** The PyTorch reference of a case (flat arrays in PyTorch's layouts). */
export function layerFixture(name: string): FixtureCase {
  fixtures ??= (JSON.parse(readFileSync(FIXTURE, 'utf8')) as { cases: Record<string, FixtureCase> }).cases;
  const f = fixtures[name];
  if (f === undefined) throw new Error(`no layer fixture '${name}'`);
  return f;
}

/** Rank decides the role: 4 a convolution filter, 2 a linear weight, 1 a bias. */
const roleOf = (shape: number[]): TensorRole =>
  shape.length === 4 ? 'conv-weight' : shape.length === 2 ? 'linear-weight' : 'bias';

/** A case's result: output [N, F], gradients (x NCHW and parameters) and H·v, PyTorch layouts. */
export interface CaseResult {
  output: Float32Array;
  gradients: Record<string, Float32Array>;
  hvp?: Record<string, Float32Array>;
  /** onnxruntime: the graph's blocked (NCHWc) convolutions. */
  blockedConvolutions?: number;
}

/** The case's tensors on tfjs: x NHWC, parameters and v in tfjs layout, r. The caller disposes. */
function tfjsInputs(f: FixtureCase) {
  const x = tf.tidy(() => tf.transpose(tf.tensor(f.input.data, f.input.shape), [0, 2, 3, 1]));
  const params: TensorMap = {};
  const v: TensorMap = {};
  for (const [name, { shape, data }] of Object.entries(f.params)) {
    params[name] = tf.tidy(() => toTfjsLayout(tf.tensor(data, shape), roleOf(shape)));
    v[name] = tf.tidy(() => toTfjsLayout(tf.tensor(f.v[name]!, shape), roleOf(shape)));
  }
  const r = tf.tensor(f.r, f.output.shape);
  return { x, params, v, r, dispose: () => tf.dispose([x, r, ...Object.values(params), ...Object.values(v)]) };
}

/** A tfjs-layout tensor's values in PyTorch's layout (x: NHWC → NCHW). */
function pytorchValues(t: tf.Tensor, name: string, f: FixtureCase): Float32Array {
  return tf.tidy(() => {
    if (name === 'x') return tf.transpose(t, [0, 3, 1, 2]).dataSync() as Float32Array;
    return toPytorchLayout(t, roleOf(f.params[name]!.shape)).dataSync() as Float32Array;
  });
}

/** ForwardContext's output and tfjs autodiff gradients, and TangentContext's H·v, on the active backend. */
export function runTfjs(name: LayerCaseName): CaseResult {
  const f = layerFixture(name);
  const net = LAYER_CASES[name]!;
  const inputs = tfjsInputs(f);
  const names = Object.keys(inputs.params);
  const before = tf.memory().numTensors;
  const output = tf.tidy(() => {
    const context = new ForwardContext({ params: inputs.params, state: {} }, { training: false });
    return net<tf.Tensor>(context, inputs.x).dataSync() as Float32Array;
  });
  const grads = tf.tidy(() =>
    tf.grads((x: tf.Tensor, ...ps: tf.Tensor[]) => {
      const params = Object.fromEntries(names.map((n, i) => [n, ps[i]!]));
      const context = new ForwardContext({ params, state: {} }, { training: false });
      return tf.sum(tf.mul(net<tf.Tensor>(context, x), inputs.r));
    })([inputs.x, ...names.map((n) => inputs.params[n]!)]),
  );
  const gradients = Object.fromEntries(['x', ...names].map((n, i) => [n, pytorchValues(grads[i]!, n, f)]));
  tf.dispose(grads);
  const hvp = tangentHessianVectorProduct(net, inputs);
  const result = {
    output,
    gradients,
    hvp: Object.fromEntries(names.map((n) => [n, pytorchValues(hvp[n]!, n, f)])),
  };
  tf.dispose(Object.values(hvp));
  assert.equal(tf.memory().numTensors, before, `${name}: tfjs forward, gradients and H·v leaked tensors`);
  inputs.dispose();
  return result;
}

/** H·v = ∇_θ Σ r ⊙ ż by TangentContext, as tfjsHessianVectorProduct does it for the cross-entropy. */
function tangentHessianVectorProduct(net: Network, inputs: ReturnType<typeof tfjsInputs>): TensorMap {
  const names = Object.keys(inputs.params);
  const pool: PoolMasks = { mode: 'record', masks: [] };
  const options = { training: false };
  tf.tidy(() => {
    net<Dual>(new TangentContext({ params: inputs.params, state: {} }, undefined, options, pool), {
      value: inputs.x,
      tangent: undefined,
    });
  });
  pool.mode = 'replay';
  try {
    const grads = tf.tidy(() =>
      tf.grads((...ps: tf.Tensor[]) => {
        const params = Object.fromEntries(names.map((n, i) => [n, ps[i]!]));
        const context = new TangentContext({ params, state: {} }, inputs.v, options, pool);
        const { tangent } = net<Dual>(context, { value: inputs.x, tangent: undefined });
        // 0·Σθ: tfjs refuses parameters that ż does not depend on (a last bias, whose H·v is 0).
        const untouched = ps.map((p) => tf.mul(tf.sum(p), 0));
        return tf.addN([tf.sum(tf.mul(tangent!, inputs.r)), ...untouched]);
      })(names.map((n) => inputs.params[n]!)),
    );
    return Object.fromEntries(names.map((n, i) => [n, grads[i]!]));
  } finally {
    tf.dispose(pool.masks);
  }
}

/**
 * The case as one onnxruntime graph: output, gradients of Σ r ⊙ y and H·v; blocked when `block` is
 * set, and then run split into weight preparation and the rest, as the engine runs it.
 */
export function runOnnx(runtime: OnnxRuntime, name: LayerCaseName, block: number | undefined): CaseResult {
  const f = layerFixture(name);
  const net = LAYER_CASES[name]!;
  const inputs = tfjsInputs(f);
  const names = Object.keys(inputs.params);
  const b = new GraphBuilder();
  const x = b.input('x', inputs.x.shape);
  const params = Object.fromEntries(names.map((n) => [n, b.input(n, inputs.params[n]!.shape)]));
  const layers = new GraphLayers(b, { training: false, tensors: params, nchwcBlock: block });
  const wrt = [x, ...names.map((n) => params[n]!)];
  layers.differentiate(wrt);
  const y = net<Value>(layers, layers.channelsFirst(x));
  b.output(y, 'y');
  const r = b.input('r', f.output.shape);
  const grads = layers.gradients([[y, r]], wrt);
  wrt.forEach((v, i) => b.output(grads[i]!, `gradient:${v.name}`));
  const seeds = new Map(names.map((n) => [n, b.input(`tangent:${n}`, params[n]!.shape)]));
  const products = forwardTangents(
    b,
    seeds,
    grads.slice(1).map((g) => g!.name),
  );
  const zeros = (shape: number[]) => b.node('ConstantOfShape', [b.int64s(shape)], { value: { tensor: 0 } }, shape);
  // A gradient no tangent reaches (a last bias's) has H·v = 0.
  names.forEach((n, i) => b.output(products.get(grads[i + 1]!.name) ?? zeros(params[n]!.shape), `hvp:${n}`));
  const feed = (t: tf.Tensor) => ({ data: t.dataSync() as Float32Array, dims: t.shape });
  const feeds = {
    x: feed(inputs.x),
    r: feed(inputs.r),
    ...Object.fromEntries(names.map((n) => [n, feed(inputs.params[n]!)])),
    ...Object.fromEntries(names.map((n) => [`tangent:${n}`, feed(inputs.v[n]!)])),
  };
  const graph = b.build();
  const blockedConvolutions = graph.nodes.filter((n) => n.domain === NCHWC_DOMAIN && n.op === 'Conv').length;
  const outputs = ['y', ...wrt.map((v) => `gradient:${v.name}`), ...names.map((n) => `hvp:${n}`)];
  try {
    // Blocked graphs run as the engine runs them: split into weight preparation and the rest.
    const out =
      block === undefined ? runWhole(runtime, graph, feeds, outputs) : runSplit(runtime, graph, names, feeds, outputs);
    const pytorch = (values: Float32Array, n: string, shape: number[]) =>
      tf.tidy(() => pytorchValues(tf.tensor(values, shape), n, f));
    return {
      output: out['y']!,
      gradients: Object.fromEntries(
        ['x', ...names].map((n, i) => [n, pytorch(out[`gradient:${wrt[i]!.name}`]!, n, wrt[i]!.shape)]),
      ),
      hvp: Object.fromEntries(names.map((n) => [n, pytorch(out[`hvp:${n}`]!, n, params[n]!.shape)])),
      blockedConvolutions,
    };
  } finally {
    inputs.dispose();
  }
}

type Feeds = Record<string, { data: Float32Array; dims: readonly number[] }>;

function runWhole(runtime: OnnxRuntime, graph: OnnxGraph, feeds: Feeds, outputs: string[]) {
  const session = runtime.session(encodeModel(graph, 'layers'));
  try {
    return session.run(feeds, outputs);
  } finally {
    session.dispose();
  }
}

/** The graph's weight preparation (weightscape's split) run first, its values fed to the rest. */
function runSplit(runtime: OnnxRuntime, graph: OnnxGraph, weights: string[], feeds: Feeds, outputs: string[]) {
  const { preparation, main, prepared } = splitWeightPreparation(graph, weights);
  if (preparation === undefined) return runWhole(runtime, graph, feeds, outputs);
  const pick = (names: string[]) => Object.fromEntries(names.map((n) => [n, feeds[n]!]));
  const made = runWhole(
    runtime,
    preparation,
    pick(preparation.inputs.map((i) => i.name)),
    prepared.map((p) => p.name),
  );
  const mainFeeds: Feeds = {
    ...pick(main.inputs.map((i) => i.name).filter((n) => feeds[n] !== undefined)),
    ...Object.fromEntries(prepared.map(({ name, shape }) => [name, { data: made[name]!, dims: shape }])),
  };
  return runWhole(runtime, main, mainFeeds, outputs);
}

/**
 * Asserts a result against PyTorch: every tensor within `tolerance` (‖Δ‖/‖ref‖), tensors whose
 * reference is (near) zero within `tolerance` of the case's largest tensor of that kind.
 */
export function assertMatchesPytorch(name: LayerCaseName, result: CaseResult, tolerance = 1e-4): void {
  const f = layerFixture(name);
  const check = (what: string, got: Float32Array, want: number[], scale: number) => {
    assert.equal(got.length, want.length, `${name} ${what}: length`);
    const norm = Math.hypot(...want);
    const error = norm > 1e-3 * scale ? l2RelativeError(got, want) : Math.hypot(...got) / Math.max(scale, 1e-30);
    assert.ok(error < tolerance, `${name} ${what}: relative error ${error}`);
  };
  check('output', result.output, f.output.data, 1);
  const largest = (m: Record<string, number[]>) => Math.max(...Object.values(m).map((a) => Math.hypot(...a)));
  const gradScale = largest(f.gradients);
  for (const [n, want] of Object.entries(f.gradients)) check(`∂L/∂${n}`, result.gradients[n]!, want, gradScale);
  if (result.hvp === undefined) return;
  const hvpScale = largest(f.hvp);
  for (const [n, want] of Object.entries(f.hvp)) check(`H·v ${n}`, result.hvp[n]!, want, hvpScale);
}

/**
 * The tests of the layer cases `names` in every context: tfjs on wasm and cpu (outputs, gradients,
 * TangentContext's H·v) and onnxruntime's graph, plain and blocked (NCHWc) where the layout exists;
 * a blocked run must block some convolution unless the case is in `unblockable`.
 */
export function layerCaseTests(names: LayerCaseName[], unblockable: LayerCaseName[] = []): void {
  let runtime: OnnxRuntime;
  let block: number | undefined;
  before(() => {
    const loaded = loadOnnxRuntime(1);
    assert.ok(typeof loaded !== 'string', `onnxruntime did not load: ${loaded}`);
    runtime = loaded;
    block = probeNchwcBlock(runtime);
  });
  after(async () => {
    await releaseBackend();
  });
  for (const name of names) {
    for (const backend of ['wasm', 'cpu'] as const)
      test(`${name} on tfjs ${backend}: output, gradients and TangentContext's H·v are PyTorch's`, async () => {
        await selectBackend(backend);
        assertMatchesPytorch(name, runTfjs(name));
      });
    test(`${name} on onnxruntime: output, the tape's gradients and H·v are PyTorch's, plain and blocked`, (t) => {
      assertMatchesPytorch(name, runOnnx(runtime, name, undefined));
      if (block === undefined) return t.skip('onnxruntime has no NCHWc layout here');
      const blocked = runOnnx(runtime, name, block);
      assertMatchesPytorch(name, blocked);
      if (!unblockable.includes(name)) assert.ok(blocked.blockedConvolutions! > 0, 'no blocked convolution');
    });
  }
}
