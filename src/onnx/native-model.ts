/**
 * The onnxruntime fast path of a model: logits, the summed cross-entropy's input gradient (PGD),
 * and the mean cross-entropy's parameter gradients with the new BatchNorm statistics (training
 * steps), each from a graph built once per model, mode and batch size and cached, with the
 * weights as inputs: one warm session serves every landscape point, training step and model.
 * Its convolutions run in onnxruntime's blocked NCHWc layout, the filters reordered in the graph
 * (what onnxruntime's optimizer only does for constant filters). What depends on the weights alone
 * (those reorders, BatchNorm's scale and shift in eval mode) runs in a second, small session once
 * per set of weights, so an attack's steps share it (a session per set of weights with them as
 * constants would do the same, but building it and its first run, which touches fresh memory,
 * cost ~500 ms).
 * Results come back as tfjs tensors. Everything else stays on the tfjs backend.
 */
import * as tf from '@tensorflow/tfjs';
import type { LogitsFunction, NativeModelPaths } from '../attacks/pgd.ts';
import { dropoutMask, dropoutSeed, updatedRunningStatistics } from '../models/forward-context.ts';
import { architecture } from '../models/registry.ts';
import type { ForwardOptions, ModelConfig, ModelWeights, TensorMap } from '../models/types.ts';
import { buildLossGraph, INPUT_GRADIENT_OUTPUT, INPUT_NAME, LOGITS_OUTPUT, LOSS_OUTPUT, ONE_HOT_NAME, paramGradientOutput, type LossGraph, type LossGraphRequest } from './loss-graph.ts';
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

let runtime: OnnxRuntime | undefined;
let nchwcBlock: number | undefined;
const sessions = new Map<string, CompiledGraph>();

export interface OnnxRuntimeInfo {
  version: string;
  threads: number;
}

/** Turns the fast path on with `threads` intra-op threads; returns why not when it cannot load. */
export function activateOnnxRuntime(threads: number): OnnxRuntimeInfo | string {
  const loaded = loadOnnxRuntime(threads);
  if (typeof loaded === 'string') return loaded;
  if (runtime !== loaded) deactivateOnnxRuntime();
  runtime = loaded;
  nchwcBlock = probeNchwcBlock(loaded);
  return { version: loaded.version, threads: loaded.threads };
}

export function deactivateOnnxRuntime(): void {
  for (const entry of sessions.values()) disposeCompiled(entry);
  sessions.clear();
  runtime = undefined;
}

export function onnxRuntimeActive(): boolean {
  return runtime !== undefined;
}

function compiled(config: ModelConfig, request: LossGraphRequest): CompiledGraph {
  request = { ...request, nchwcBlock };
  const key = JSON.stringify([config, request]);
  const hit = sessions.get(key);
  if (hit !== undefined) {
    sessions.delete(key);
    sessions.set(key, hit);
    return hit;
  }
  const graph = buildLossGraph(config, request);
  const { preparation, main } = graph.split;
  const entry = { key, graph, session: runtime!.session(main), preparation: preparation === undefined ? undefined : runtime!.session(preparation.model) };
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
  const out = preparation.run(Object.fromEntries(split.preparation!.inputs.map((name) => [name, weights[name]!])), split.prepared.map((p) => p.name));
  for (const { name, shape } of split.prepared) feeds[name] = { data: out[name]!, dims: shape };
  return feeds;
}

const shapesOf = (tensors: TensorMap) => Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, t.shape]));

/** The weights' values, read from the backend once per model function. */
function hostFeeds(tensors: TensorMap, names: string[]): Feeds {
  return Object.fromEntries(names.map((name) => [name, { data: floatData(tensors[name]!), dims: tensors[name]!.shape }]));
}

/** A tensor's values as float32 (images may arrive as int32 from uint8 files). */
function floatData(t: tf.Tensor): Float32Array {
  const data = t.dataSync();
  return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
}

function oneHot(labels: tf.Tensor1D, classes: number): Float32Array {
  const ids = labels.dataSync();
  const out = new Float32Array(ids.length * classes);
  ids.forEach((label, i) => { out[i * classes + label] = 1; });
  return out;
}

/** The same masks the tfjs forward draws for these options (dropout seeds by layer order). */
function dropoutFeeds(graph: LossGraph, config: ModelConfig, seed: number | undefined): Feeds {
  const rate = (config.options as { dropout?: number }).dropout ?? 0;
  return Object.fromEntries(graph.dropoutMasks.map((m, i) => {
    const mask = dropoutMask(m.shape, rate, dropoutSeed(seed, i));
    const data = mask.dataSync() as Float32Array;
    mask.dispose();
    return [m.name, { data, dims: m.shape }];
  }));
}

/**
 * The model's logits function (tfjs, differentiable), with the native paths attached when the
 * fast path is on. Weights are read from the backend at the first native call.
 */
export function modelLogits(config: ModelConfig, weights: ModelWeights, options: ForwardOptions): LogitsFunction {
  const net = architecture(config.arch);
  const logitsFn: LogitsFunction = (x) => net.forward(weights, x, config as ModelConfig<never>, options).logits;
  if (runtime === undefined || options.bnCumulativeCount !== undefined) return logitsFn;
  const shapes = { paramShapes: shapesOf(weights.params), stateShapes: shapesOf(weights.state) };
  let weightFeeds: Feeds | undefined;
  // Per graph this function has run: its dropout masks, drawn at the first run (same seeds every
  // call), and its weight inputs, prepared at the first run.
  const perGraph = new Map<string, Feeds>();
  const run = (x: tf.Tensor4D, extra: Feeds, partial: Omit<LossGraphRequest, 'training' | 'batch' | 'paramGradients' | 'paramShapes' | 'stateShapes'>, outputs: string[]) => {
    const entry = compiled(config, { ...partial, ...shapes, training: options.training, batch: x.shape[0], paramGradients: false });
    const { key, graph, session } = entry;
    let own = perGraph.get(key);
    if (own === undefined) {
      weightFeeds ??= { ...hostFeeds(weights.params, graph.paramNames), ...hostFeeds(weights.state, graph.stateNames) };
      own = { ...weightInputs(entry, weightFeeds), ...dropoutFeeds(graph, config, options.seed) };
      perGraph.set(key, own);
    }
    return session.run({ ...own, ...extra, [INPUT_NAME]: { data: floatData(x), dims: x.shape } }, outputs);
  };
  const native: NativeModelPaths = {
    logits(x) {
      const out = run(x, {}, { loss: false, logits: true, inputGradient: false, lossScale: 1 }, [LOGITS_OUTPUT]);
      return tf.tensor2d(out[LOGITS_OUTPUT]!, [x.shape[0], config.classes]);
    },
    crossEntropyInputGradient(x, labels) {
      const hot = { [ONE_HOT_NAME]: { data: oneHot(labels, config.classes), dims: [x.shape[0], config.classes] } };
      const out = run(x, hot, { loss: true, logits: false, inputGradient: true, lossScale: 1 }, [INPUT_GRADIENT_OUTPUT]);
      return tf.tensor4d(out[INPUT_GRADIENT_OUTPUT]!, x.shape);
    },
  };
  logitsFn.native = native;
  return logitsFn;
}

export interface TrainingGradients {
  /** Mean cross-entropy over the batch. */
  loss: tf.Scalar;
  grads: TensorMap;
  /** The new BatchNorm running statistics (empty for models without BatchNorm). */
  state: TensorMap;
}

/**
 * Mean cross-entropy at (x, labels) in training mode, its gradient for every parameter, and the
 * BatchNorm statistics a tfjs training forward with `seed` would leave; undefined when the fast
 * path is off.
 */
export function nativeTrainingGradients(config: ModelConfig, weights: ModelWeights, x: tf.Tensor4D, labels: tf.Tensor1D, seed: number): TrainingGradients | undefined {
  if (runtime === undefined) return undefined;
  const n = x.shape[0];
  const entry = compiled(config, {
    training: true, batch: n, loss: true, logits: false, inputGradient: false, paramGradients: true, lossScale: 1 / n,
    paramShapes: shapesOf(weights.params), stateShapes: shapesOf(weights.state),
  });
  const { graph, session } = entry;
  const outputs = [LOSS_OUTPUT, ...graph.paramNames.map(paramGradientOutput), ...graph.batchNorms.flatMap(({ prefix }) => [`mean:${prefix}`, `var:${prefix}`])];
  const feeds: Feeds = {
    ...weightInputs(entry, hostFeeds(weights.params, graph.paramNames)),
    ...dropoutFeeds(graph, config, seed),
    [INPUT_NAME]: { data: floatData(x), dims: x.shape },
    [ONE_HOT_NAME]: { data: oneHot(labels, config.classes), dims: [n, config.classes] },
  };
  const out = session.run(feeds, outputs);
  const perExample = out[LOSS_OUTPUT]!;
  let total = 0;
  for (const v of perExample) total += v;
  const grads = Object.fromEntries(graph.paramNames.map((name) => [name, tf.tensor(out[paramGradientOutput(name)]!, weights.params[name]!.shape)]));
  const state: TensorMap = {};
  for (const { prefix, count } of graph.batchNorms) {
    tf.tidy(() => {
      const batch = { mean: tf.tensor1d(out[`mean:${prefix}`]!), variance: tf.tensor1d(out[`var:${prefix}`]!), count };
      const updated = updatedRunningStatistics(prefix, weights.state, batch, undefined);
      for (const [name, t] of Object.entries(updated)) state[name] = tf.keep(t);
    });
  }
  return { loss: tf.scalar(total / n), grads, state };
}
