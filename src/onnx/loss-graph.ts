/**
 * The ONNX graph of a model's cross-entropy and its gradients, for one batch size: the network
 * (from the architecture's own definition), the per-example loss, and the reverse pass to the
 * input and/or the trainable parameters. In training mode it also returns each BatchNorm's batch
 * statistics, and takes the dropout masks as inputs (drawn by the caller, as tfjs draws them).
 */
import { modelFor } from '../models/registry.ts';
import type { ModelConfig } from '../models/types.ts';
import { forwardTangents } from './forward-tangents.ts';
import { GraphBuilder, type Value } from './graph-builder.ts';
import { GraphLayers } from './graph-layers.ts';
import { lossHead, type LossObjective } from './loss-heads.ts';
import { encodeModel, type OnnxGraph } from './onnx-model.ts';
import { splitWeightPreparation } from './weight-preparation.ts';

export interface LossGraphRequest {
  training: boolean;
  batch: number;
  /** Outputs: the per-example cross-entropy (and its gradients), the logits, or both. */
  loss: boolean;
  logits: boolean;
  inputGradient: boolean;
  paramGradients: boolean;
  /**
   * Also the Hessian-vector product of the objective: inputs `tangent:<param>` (the direction v),
   * outputs `hvp:<param>` (H·v), by forward-mode differentiation of the gradient graph. Needs
   * paramGradients.
   */
  hessianVectorProduct?: boolean;
  /** d(objective)/d(loss_i): 1 for the summed loss (attacks), 1/N for the mean (training). */
  lossScale: number;
  /**
   * The loss (loss-heads.ts), cross-entropy unless given; `one_hot` then takes any target
   * distribution. TRADES and MART also take `x_adv`, a second pass on the same weights (its
   * BatchNorm statistics output as `mean:1:<prefix>`, its dropout masks `dropout_mask_1_<i>`).
   */
  objective?: LossObjective;
  /** TRADES' and MART's β. */
  beta?: number;
  /** Shapes of the trainable parameters and the BatchNorm running statistics (tfjs layout). */
  paramShapes: Record<string, number[]>;
  stateShapes: Record<string, number[]>;
  /** onnxruntime's NCHWc block, to run the convolutions in its blocked layout (see GraphLayerOptions). */
  nchwcBlock?: number;
}

export interface LossGraph {
  /** The graph, every weight an input. */
  graph: OnnxGraph;
  /** Its encoding split in two (weight-preparation.ts), as the fast path runs it. */
  split: EncodedSplit;
  paramNames: string[];
  /** Running statistics the graph reads (eval mode only). */
  stateNames: string[];
  /** Training: the dropout masks to feed, by pass (0, or 1 for TRADES' and MART's second) and index in it. */
  dropoutMasks: Array<{ name: string; shape: number[]; pass: number; index: number }>;
  /**
   * Training: BatchNorm layers whose batch statistics are outputs (statisticsOutputs), by pass,
   * with their counts (N·H·W).
   */
  batchNorms: Array<{ prefix: string; count: number; pass: number }>;
}

export const INPUT_NAME = 'x';
export const ADV_INPUT_NAME = 'x_adv';
export const ONE_HOT_NAME = 'one_hot';
/** DLR-targeted's target classes, one-hot [N, K]. */
export const TARGET_ONE_HOT_NAME = 'target_one_hot';
export const LOSS_OUTPUT = 'loss';
export const LOGITS_OUTPUT = 'logits';
export const INPUT_GRADIENT_OUTPUT = 'input_gradient';
export const paramGradientOutput = (name: string) => `gradient:${name}`;
export const tangentInput = (name: string) => `tangent:${name}`;
export const hessianVectorOutput = (name: string) => `hvp:${name}`;
/** The outputs of a BatchNorm's batch mean and variance in a pass (training). */
export const statisticsOutputs = (prefix: string, pass: number) =>
  pass === 0 ? [`mean:${prefix}`, `var:${prefix}`] : [`mean:${pass}:${prefix}`, `var:${pass}:${prefix}`];
const twoPasses = (objective: LossObjective | undefined) => objective === 'trades' || objective === 'mart';

export function buildLossGraph(config: ModelConfig, request: LossGraphRequest): LossGraph {
  const b = new GraphBuilder();
  const { height, width, channels } = config.input;
  const n = request.batch;
  const xNhwc = b.input(INPUT_NAME, [n, height, width, channels]);
  const paramNames = Object.keys(request.paramShapes);
  const params = Object.fromEntries(paramNames.map((name) => [name, b.input(name, request.paramShapes[name]!)]));
  // Running statistics are read in eval mode only; in training the batch's own are used.
  const stateNames = request.training
    ? []
    : Object.keys(request.stateShapes).filter((s) => /running_(mean|var)$/.test(s));
  const state = Object.fromEntries(stateNames.map((name) => [name, b.input(name, request.stateShapes[name]!)]));
  const net = new GraphLayers(b, {
    training: request.training,
    tensors: { ...params, ...state },
    nchwcBlock: request.nchwcBlock,
  });
  const wrt: Value[] = [];
  if (request.inputGradient) wrt.push(xNhwc);
  if (request.paramGradients) wrt.push(...paramNames.map((name) => params[name]!));
  net.differentiate(wrt);

  const network = (input: Value) => modelFor(config).network<Value>(net, net.channelsFirst(input));
  const logits = network(xNhwc);
  const passes = [logits];
  if (twoPasses(request.objective)) {
    net.nextPass();
    passes.push(network(b.input(ADV_INPUT_NAME, [n, height, width, channels])));
  }
  const k = config.classes;
  if (request.logits) b.output(logits, LOGITS_OUTPUT);
  if (!request.loss) {
    if (wrt.length > 0) throw new Error('loss graph: gradients need the loss');
    return finishGraph(b, net, config, paramNames, stateNames);
  }
  const oneHot = b.input(ONE_HOT_NAME, [n, k]);
  const objective = request.objective ?? 'cross-entropy';
  const targetClasses = objective === 'dlr-targeted' ? b.input(TARGET_ONE_HOT_NAME, [n, k]) : undefined;
  const head = lossHead(b, objective, passes, oneHot, request.lossScale, request.beta ?? 0, targetClasses);
  b.output(head.perExample, LOSS_OUTPUT);
  if (wrt.length > 0) {
    const grads = net.gradients(head.seeds, wrt);
    const zeros = (v: Value) => b.node('ConstantOfShape', [b.int64s(v.shape)], { value: { tensor: 0 } }, v.shape);
    wrt.forEach((v, i) =>
      b.output(grads[i] ?? zeros(v), v === xNhwc ? INPUT_GRADIENT_OUTPUT : paramGradientOutput(v.name)),
    );
    if (request.hessianVectorProduct === true) {
      if (!request.paramGradients)
        throw new Error('loss graph: a Hessian-vector product needs the parameter gradients');
      const seeds = new Map(paramNames.map((name) => [name, b.input(tangentInput(name), params[name]!.shape)]));
      const paramGrads = paramNames.map((name) => grads[wrt.indexOf(params[name]!)]);
      const products = forwardTangents(
        b,
        seeds,
        paramGrads.flatMap((g) => (g === undefined ? [] : [g.name])),
      );
      paramNames.forEach((name, i) => {
        const g = paramGrads[i];
        const product = g === undefined ? undefined : products.get(g.name);
        b.output(product ?? zeros(params[name]!), hessianVectorOutput(name));
      });
    }
  }
  return finishGraph(b, net, config, paramNames, stateNames);
}

export interface EncodedSplit {
  /** Weights → prepared values, run once per set of weights (none when nothing depends on them alone). */
  preparation: { model: Uint8Array; inputs: string[] } | undefined;
  prepared: Array<{ name: string; shape: number[] }>;
  main: Uint8Array;
  /** The weights the main graph reads itself. */
  mainWeights: string[];
}

function encodeSplit(graph: OnnxGraph, weights: string[], name: string): EncodedSplit {
  const { preparation, main, prepared } = splitWeightPreparation(graph, weights);
  const mainInputs = new Set(main.inputs.map((i) => i.name));
  return {
    preparation:
      preparation === undefined
        ? undefined
        : { model: encodeModel(preparation, `${name}-weights`), inputs: preparation.inputs.map((i) => i.name) },
    prepared: prepared.map(({ name: value, shape }) => ({ name: value, shape })),
    main: encodeModel(main, name),
    mainWeights: weights.filter((w) => mainInputs.has(w)),
  };
}

function finishGraph(
  b: GraphBuilder,
  net: GraphLayers,
  config: ModelConfig,
  paramNames: string[],
  stateNames: string[],
): LossGraph {
  const batchNorms = net.passes.flatMap(({ batchStatistics }, pass) =>
    Object.entries(batchStatistics).map(([prefix, { count, mean, variance }]) => {
      const [meanName, varianceName] = statisticsOutputs(prefix, pass);
      b.output(mean, meanName!);
      b.output(variance, varianceName!);
      return { prefix, count, pass };
    }),
  );
  const graph = b.build();
  return {
    graph,
    split: encodeSplit(graph, [...paramNames, ...stateNames], `${config.arch}-loss`),
    paramNames,
    stateNames,
    dropoutMasks: net.passes.flatMap(({ dropoutMasks }, pass) =>
      dropoutMasks.map((m, index) => ({ name: m.name, shape: m.shape, pass, index })),
    ),
    batchNorms,
  };
}
