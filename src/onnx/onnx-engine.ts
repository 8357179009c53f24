/**
 * The onnxruntime engine: logits, the attack losses' input gradients (cross-entropy, soft-label
 * cross-entropy for TRADES' KL, CW margin), and the training losses' parameter gradients with the
 * new BatchNorm statistics (cross-entropy, TRADES, MART: loss-heads.ts), each
 * from a graph built once per model, mode and batch size and cached in the engine, with the
 * weights as inputs: one warm session serves every landscape point, training step and model.
 * Its convolutions run in onnxruntime's blocked NCHWc layout, the filters reordered in the graph
 * (what onnxruntime's optimizer only does for constant filters). What depends on the weights alone
 * (those reorders, BatchNorm's scale and shift in eval mode) runs in a second, small session once
 * per set of weights, so an attack's steps share it (a session per set of weights with them as
 * constants would do the same, but building it and its first run, which touches fresh memory,
 * cost ~500 ms).
 * Results come back as tfjs tensors; `forward` (tfjs-only losses) runs on the tfjs backend.
 */
import * as tf from '@tensorflow/tfjs';
import { dropoutMask, dropoutSeed, updatedRunningStatistics } from '../models/forward-context.ts';
import type { Engine, ModelFunction, TrainingGradients } from '../models/model-function.ts';
import { tfjsModelFunction } from '../models/tfjs-engine.ts';
import type { ForwardOptions, ModelConfig, ModelWeights, TensorMap } from '../models/types.ts';
import {
  ADV_INPUT_NAME,
  buildLossGraph,
  INPUT_GRADIENT_OUTPUT,
  INPUT_NAME,
  LOGITS_OUTPUT,
  LOSS_OUTPUT,
  ONE_HOT_NAME,
  paramGradientOutput,
  TARGET_ONE_HOT_NAME,
  statisticsOutputs,
  hessianVectorOutput,
  tangentInput,
  type LossGraph,
  type LossGraphRequest,
} from './loss-graph.ts';
import type { LossObjective } from './loss-heads.ts';
import { probeNchwcBlock } from './nchwc-block.ts';
import { loadOnnxRuntime, type OnnxRuntime, type OnnxSession } from './onnx-runtime.ts';

type Feeds = Record<string, { data: Float32Array; dims: readonly number[] }>;

interface CompiledGraph {
  /** The cache key: model configuration and request. */
  key: string;
  graph: LossGraph;
  session: OnnxSession;
  preparation: OnnxSession | undefined;
}

/** Sessions kept: enough for every mode × two batch sizes (full and last) of a run. */
const SESSION_CACHE_SIZE = 12;

type Compile = (config: ModelConfig, request: LossGraphRequest) => CompiledGraph;

/** The engine on onnxruntime with `threads` intra-op threads, or why it cannot load. */
export function createOnnxEngine(threads: number): Engine | string {
  const runtime = loadOnnxRuntime(threads);
  if (typeof runtime === 'string') return runtime;
  const nchwcBlock = probeNchwcBlock(runtime);
  const sessions = new Map<string, CompiledGraph>();
  const compile: Compile = (config, request) => compiled(runtime, sessions, config, { ...request, nchwcBlock });
  return {
    name: 'onnxruntime',
    record: { onnxruntime: { version: runtime.version, threads: runtime.threads } },
    modelFunction: (config, weights, options) => onnxModelFunction(compile, config, weights, options),
    dispose() {
      for (const entry of sessions.values()) disposeCompiled(entry);
      sessions.clear();
    },
  };
}

/** The session pair of (config, request), from the engine's least-recently-used cache. */
function compiled(
  runtime: OnnxRuntime,
  sessions: Map<string, CompiledGraph>,
  config: ModelConfig,
  request: LossGraphRequest,
): CompiledGraph {
  const key = JSON.stringify([config, request]);
  const hit = sessions.get(key);
  if (hit !== undefined) {
    sessions.delete(key);
    sessions.set(key, hit);
    return hit;
  }
  const graph = buildLossGraph(config, request);
  const { preparation, main } = graph.split;
  const entry = {
    key,
    graph,
    session: runtime.session(main),
    // Without an arena: it runs once per set of weights, and its arena (~130 MB on the full-width
    // preact-resnet18) would stay resident beside the main session's.
    preparation: preparation === undefined ? undefined : runtime.session(preparation.model, { arena: false }),
  };
  sessions.set(key, entry);
  if (sessions.size > SESSION_CACHE_SIZE) {
    const [oldest, evicted] = sessions.entries().next().value as [string, CompiledGraph];
    disposeCompiled(evicted);
    sessions.delete(oldest);
  }
  return entry;
}

function disposeCompiled({ session, preparation }: CompiledGraph): void {
  session.dispose();
  preparation?.dispose();
}

/** What the main session takes from the weights: the ones it reads itself and the prepared values. */
function weightInputs({ graph, preparation }: CompiledGraph, weights: Feeds): Feeds {
  const { split } = graph;
  const feeds: Feeds = Object.fromEntries(split.mainWeights.map((name) => [name, weights[name]!]));
  if (preparation === undefined) return feeds;
  const out = preparation.run(
    Object.fromEntries(split.preparation!.inputs.map((name) => [name, weights[name]!])),
    split.prepared.map((p) => p.name),
  );
  for (const { name, shape } of split.prepared) feeds[name] = { data: out[name]!, dims: shape };
  return feeds;
}

const shapesOf = (tensors: TensorMap) =>
  Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, t.shape]));

/** The weights' values, read from the backend once per model function. */
function hostFeeds(tensors: TensorMap, names: string[]): Feeds {
  return Object.fromEntries(
    names.map((name) => [name, { data: floatData(tensors[name]!), dims: tensors[name]!.shape }]),
  );
}

/** A tensor's values as float32 (images may arrive as int32 from uint8 files). */
function floatData(t: tf.Tensor): Float32Array {
  const data = t.dataSync();
  return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
}

function oneHot(labels: tf.Tensor1D, classes: number): Float32Array {
  const ids = labels.dataSync();
  const out = new Float32Array(ids.length * classes);
  ids.forEach((label, i) => {
    out[i * classes + label] = 1;
  });
  return out;
}

/** The same masks the tfjs forward draws for these options (dropout seeds by pass and layer order). */
function dropoutFeeds(graph: LossGraph, config: ModelConfig, seed: number | undefined): Feeds {
  const rate = (config.options as { dropout?: number }).dropout ?? 0;
  return Object.fromEntries(
    graph.dropoutMasks.map((m) => {
      // Each pass draws as a tfjs forward with its own seed: TRADES' and MART's second pass seed + 1.
      const mask = dropoutMask(m.shape, rate, dropoutSeed(m.pass === 0 ? seed : (seed ?? 0) + m.pass, m.index));
      const data = mask.dataSync() as Float32Array;
      mask.dispose();
      return [m.name, { data, dims: m.shape }];
    }),
  );
}

/**
 * The model function in onnxruntime; `forward` stays tfjs (and the whole function when the options
 * ask a forward for cumulative BatchNorm counts). Weights are read from the backend at the first native call.
 */
function onnxModelFunction(
  compile: Compile,
  config: ModelConfig,
  weights: ModelWeights,
  options: ForwardOptions,
): ModelFunction {
  const tfjs = tfjsModelFunction(config, weights, options);
  if (options.bnCumulativeCount !== undefined) return tfjs;
  const shapes = { paramShapes: shapesOf(weights.params), stateShapes: shapesOf(weights.state) };
  let weightFeeds: Feeds | undefined;
  // Per graph this function has run: its dropout masks, drawn at the first run (same seeds every
  // call), and its weight inputs, prepared at the first run.
  const perGraph = new Map<string, Feeds>();
  const run = (
    x: tf.Tensor4D,
    extra: Feeds,
    partial: Omit<LossGraphRequest, 'training' | 'batch' | 'paramShapes' | 'stateShapes'>,
    outputs: string[],
  ) => {
    const entry = compile(config, { ...partial, ...shapes, training: options.training, batch: x.shape[0] });
    const { key, graph, session } = entry;
    let own = perGraph.get(key);
    if (own === undefined) {
      weightFeeds ??= { ...hostFeeds(weights.params, graph.paramNames), ...hostFeeds(weights.state, graph.stateNames) };
      own = { ...weightInputs(entry, weightFeeds), ...dropoutFeeds(graph, config, options.seed) };
      perGraph.set(key, own);
    }
    return session.run({ ...own, ...extra, [INPUT_NAME]: { data: floatData(x), dims: x.shape } }, outputs);
  };
  const inputGradient = (x: tf.Tensor4D, targets: Float32Array, objective: LossObjective) => {
    const feeds = { [ONE_HOT_NAME]: { data: targets, dims: [x.shape[0], config.classes] } };
    const request = { loss: true, logits: false, inputGradient: true, paramGradients: false, lossScale: 1, objective };
    return tf.tensor4d(run(x, feeds, request, [INPUT_GRADIENT_OUTPUT])[INPUT_GRADIENT_OUTPUT]!, x.shape);
  };
  return {
    forward: tfjs.forward,
    logits(x) {
      const out = run(x, {}, { loss: false, logits: true, inputGradient: false, paramGradients: false, lossScale: 1 }, [
        LOGITS_OUTPUT,
      ]);
      return tf.tensor2d(out[LOGITS_OUTPUT]!, [x.shape[0], config.classes]);
    },
    crossEntropyInputGradient: (x, labels) => inputGradient(x, oneHot(labels, config.classes), 'cross-entropy'),
    softCrossEntropyInputGradient: (x, targets) => inputGradient(x, floatData(targets), 'cross-entropy'),
    marginInputGradient: (x, labels) => inputGradient(x, oneHot(labels, config.classes), 'cw-margin'),
    lossAndInputGradient(x, labels, objective, targetLabels) {
      const n = x.shape[0];
      const k = config.classes;
      const feeds: Feeds = { [ONE_HOT_NAME]: { data: oneHot(labels, k), dims: [n, k] } };
      if (objective === 'dlr-targeted') {
        if (targetLabels === undefined) throw new Error('lossAndInputGradient: dlr-targeted needs target labels');
        feeds[TARGET_ONE_HOT_NAME] = { data: oneHot(targetLabels, k), dims: [n, k] };
      }
      const request = { loss: true, logits: true, inputGradient: true, paramGradients: false, lossScale: 1, objective };
      const out = run(x, feeds, request, [LOSS_OUTPUT, LOGITS_OUTPUT, INPUT_GRADIENT_OUTPUT]);
      return {
        loss: tf.tensor1d(out[LOSS_OUTPUT]!),
        logits: tf.tensor2d(out[LOGITS_OUTPUT]!, [n, k]),
        gradient: tf.tensor4d(out[INPUT_GRADIENT_OUTPUT]!, x.shape),
      };
    },
    hessianVectorProduct(x, labels, v) {
      const n = x.shape[0];
      const names = Object.keys(weights.params);
      const feeds: Feeds = {
        [ONE_HOT_NAME]: { data: oneHot(labels, config.classes), dims: [n, config.classes] },
        ...Object.fromEntries(
          names.map((name) => [tangentInput(name), { data: floatData(v[name]!), dims: v[name]!.shape }]),
        ),
      };
      const request = {
        loss: true,
        logits: false,
        inputGradient: false,
        paramGradients: true,
        hessianVectorProduct: true,
        lossScale: 1 / n,
      };
      const out = run(x, feeds, request, names.map(hessianVectorOutput));
      return Object.fromEntries(
        names.map((name) => [name, tf.tensor(out[hessianVectorOutput(name)]!, weights.params[name]!.shape)]),
      );
    },
    trainingGradients: (x, labels) => trainingGradients(compile, config, weights, { x, labels }, options.seed),
    methodGradients: (method, x, xAdv, labels, beta) =>
      trainingGradients(compile, config, weights, { x, xAdv, labels, method, beta }, options.seed),
    cumulativeBatchNormState(x, count) {
      // A training-mode forward: bound in eval, answer as the same weights bound in training.
      if (!options.training)
        return onnxModelFunction(compile, config, weights, { ...options, training: true }).cumulativeBatchNormState(
          x,
          count,
        );
      // The forward alone, its outputs the batch statistics (the same cached session `run` uses).
      const request = { loss: false, logits: false, inputGradient: false, paramGradients: false, lossScale: 1 };
      const { graph } = compile(config, { ...request, ...shapes, training: true, batch: x.shape[0] });
      const outputs = graph.batchNorms.flatMap(({ prefix, pass }) => statisticsOutputs(prefix, pass));
      return cumulativeState(graph, run(x, {}, request, outputs), weights.state, count);
    },
  };
}

/** What a training loss is taken at: the cross-entropy at (x, labels), or TRADES' or MART's at (x, x′, labels). */
interface TrainingBatch {
  x: tf.Tensor4D;
  labels: tf.Tensor1D;
  xAdv?: tf.Tensor4D;
  method?: 'trades' | 'mart';
  beta?: number;
}

/**
 * The mean training loss of `batch` in training mode, its gradient for every parameter, and the
 * BatchNorm statistics the tfjs training forwards with `seed` (and seed + 1 for the second pass)
 * would leave: the second pass's update applied after the first's.
 */
function trainingGradients(
  compile: Compile,
  config: ModelConfig,
  weights: ModelWeights,
  { x, labels, xAdv, method, beta }: TrainingBatch,
  seed: number | undefined,
): TrainingGradients {
  const n = x.shape[0];
  const entry = compile(config, {
    training: true,
    batch: n,
    loss: true,
    logits: false,
    inputGradient: false,
    paramGradients: true,
    lossScale: 1 / n,
    ...(method === undefined ? {} : { objective: method, beta }),
    paramShapes: shapesOf(weights.params),
    stateShapes: shapesOf(weights.state),
  });
  const { graph, session } = entry;
  const outputs = [
    LOSS_OUTPUT,
    ...graph.paramNames.map(paramGradientOutput),
    ...graph.batchNorms.flatMap(({ prefix, pass }) => statisticsOutputs(prefix, pass)),
  ];
  const feeds: Feeds = {
    ...weightInputs(entry, hostFeeds(weights.params, graph.paramNames)),
    ...dropoutFeeds(graph, config, seed),
    [INPUT_NAME]: { data: floatData(x), dims: x.shape },
    [ONE_HOT_NAME]: { data: oneHot(labels, config.classes), dims: [n, config.classes] },
  };
  if (xAdv !== undefined) feeds[ADV_INPUT_NAME] = { data: floatData(xAdv), dims: xAdv.shape };
  const out = session.run(feeds, outputs);
  const perExample = out[LOSS_OUTPUT]!;
  let total = 0;
  for (const v of perExample) total += v;
  const grads = Object.fromEntries(
    graph.paramNames.map((name) => [name, tf.tensor(out[paramGradientOutput(name)]!, weights.params[name]!.shape)]),
  );
  // Each pass updates the running statistics the previous one left (batchNorms is in pass order).
  const state: TensorMap = {};
  for (const { prefix, count, pass } of graph.batchNorms) {
    tf.tidy(() => {
      const [mean, variance] = statisticsOutputs(prefix, pass).map((name) => tf.tensor1d(out[name]!));
      const previous = pass === 0 ? weights.state : state;
      const updated = updatedRunningStatistics(
        prefix,
        previous,
        { mean: mean!, variance: variance!, count },
        undefined,
      );
      for (const [name, t] of Object.entries(updated)) {
        state[name]?.dispose();
        state[name] = tf.keep(t);
      }
    });
  }
  return { loss: tf.scalar(total / n), grads, state };
}

/** The running statistics after these batch statistics, as the cumulative average over `count` earlier batches. */
function cumulativeState(
  graph: LossGraph,
  out: Record<string, Float32Array>,
  state: TensorMap,
  count: number,
): TensorMap {
  const next: TensorMap = {};
  for (const { prefix, count: n, pass } of graph.batchNorms) {
    tf.tidy(() => {
      const [mean, variance] = statisticsOutputs(prefix, pass).map((name) => tf.tensor1d(out[name]!));
      const batch = { mean: mean!, variance: variance!, count: n };
      for (const [name, t] of Object.entries(updatedRunningStatistics(prefix, state, batch, count)))
        next[name] = tf.keep(t);
    });
  }
  return next;
}
