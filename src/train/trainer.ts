/**
 * The training loop: epochs of shuffled batches (seeded per epoch), one train step per batch
 * (seeded per batch), then metrics on fixed evaluation subsets of the training and test splits,
 * on the unperturbed weights. Each epoch writes, atomically and in this order, log.json, the
 * native checkpoint and the run state (resume); a run killed at any moment resumes from its last
 * finished epoch and ends with the same weights as an uninterrupted run.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseAttack } from '../attacks/attack-spec.ts';
import type { BackendInfo } from '../backend/select-backend.ts';
import { saveNativeCheckpoint } from '../checkpoints/native-checkpoint.ts';
import { modelClasses } from '../checkpoints/model-config.ts';
import { checkLabels, loadDataset, selectExamples, type LabeledImages } from '../data/dataset.ts';
import { stratifiedIndices } from '../data/subset.ts';
import { WeightscapeError } from '../errors.ts';
import { evaluateSplit } from '../eval/split-metrics.ts';
import { architecture } from '../models/registry.ts';
import type { ModelConfig, ModelWeights, TensorMap } from '../models/types.ts';
import { seededUniform, shuffled } from '../random.ts';
import { writeFileAtomic } from '../results/atomic-write.ts';
import { readResult } from '../results/read-result.ts';
import { provenance } from '../results/provenance.ts';
import { initWeights } from './init-weights.ts';
import { loadRunState, saveRunState } from './run-state.ts';
import { learningRate, parseSchedule } from './schedule.ts';
import { trainWarnings, type TrainConfig } from './train-config.ts';
import { trainStep } from './train-step.ts';

import { TRAIN_LOG_SCHEMA, type EpochRecord, type TrainLog } from '../results/train-log-schema.ts';

export type { EpochRecord, TrainLog } from '../results/train-log-schema.ts';


export interface TrainRequest {
  config: TrainConfig;
  outDir: string;
  resume: boolean;
  backend: BackendInfo;
  onBatch?: (epoch: number, batch: number, batches: number, loss: number) => void;
  onEpoch?: (record: EpochRecord) => void;
  /** Tests: stop (as if killed) after this many epochs of this invocation. */
  stopAfterEpochs?: number;
}

function batchSeed(seed: number, epoch: number, batch: number): number {
  return (seed * 1_000_003 + epoch * 10_007 + batch) % 2_147_483_647;
}

function disposeAll(weights: ModelWeights, buffers: TensorMap): void {
  tf.dispose([...Object.values(weights.params), ...Object.values(weights.state), ...Object.values(buffers)]);
}

/** The evaluation subset of a split: stratified, fixed by the seed. */
function evalSubset(data: LabeledImages, size: number, seed: number): LabeledImages {
  if (size >= data.shape[0]) return data;
  return selectExamples(data, stratifiedIndices(data.labels, size, seed + 1), `${data.spec}[eval ${size}]`);
}

export function train(request: TrainRequest): TrainLog {
  const { config, outDir } = request;
  const logPath = join(outDir, 'log.json');
  const statePath = join(outDir, 'run-state.safetensors');
  if (!request.resume && existsSync(logPath)) {
    throw new WeightscapeError('bad-argument', `--out ${outDir}: already holds a run (log.json); pass --resume to continue it, or choose another directory`);
  }
  const trainData = loadDataset(config.data, { split: 'train', subset: config.subset ?? undefined, seed: config.seed });
  const testData = loadDataset(config.data, { split: 'test' });
  const [, height, width, channels] = trainData.shape;
  // The rule every command uses (no checkpoint here), and labels checked before any work.
  const classes = modelClasses({ classes: config.classes, data: config.data });
  for (const data of [trainData, testData]) checkLabels(data, classes);
  mkdirSync(outDir, { recursive: true });
  const model: ModelConfig = { arch: config.arch, options: architecture(config.arch).parseOptions(config.archOptions) as Record<string, unknown>, input: { height, width, channels }, classes };
  const trainEval = evalSubset(trainData, config.evalSubset, config.seed);
  const testEval = evalSubset(testData, config.evalSubset, config.seed);
  const attack = parseAttack(config.attack);
  const evalAttack = parseAttack(config.evalAttack);
  const schedule = parseSchedule(config.schedule, config.lrDecay);

  let log: TrainLog;
  let weights: ModelWeights;
  let buffers: TensorMap;
  let firstEpoch: number;
  if (request.resume && existsSync(statePath)) {
    const saved = loadRunState(statePath);
    if (saved.configJson !== JSON.stringify(config)) {
      disposeAll(saved.weights, saved.buffers);
      throw new WeightscapeError('bad-argument', `--resume: the options differ from the run in ${outDir} (its configuration is in log.json)`);
    }
    ({ weights, buffers } = saved);
    firstEpoch = saved.epoch;
    log = readResult(logPath, 'train log');
    log.epochs = log.epochs.filter((e) => e.epoch <= firstEpoch); // the log may have been written before a kill
  } else {
    weights = initWeights(model, config.seed);
    buffers = {};
    firstEpoch = 0;
    log = {
      schema: TRAIN_LOG_SCHEMA, config, model,
      note: 'train and test metrics are measured on the unperturbed weights (θ, not θ + v), on fixed stratified subsets, in eval mode; the AWP reference code logs train robust accuracy on perturbed weights instead',
      notes: trainWarnings(config),
      epochs: [],
      provenance: provenance({ backend: request.backend, seed: config.seed, wallSeconds: 0, data: { spec: config.data, count: trainData.shape[0] } }),
    };
  }
  const [n, h, w, c] = trainData.shape;
  const batches = Math.ceil(n / config.batchSize);
  let finishedThisCall = 0;
  for (let epoch = firstEpoch; epoch < config.epochs; epoch++) {
    const started = performance.now();
    const order = shuffled(Array.from({ length: n }, (_, i) => i), seededUniform(batchSeed(config.seed, epoch, 999_983)));
    let lossSum = 0;
    const awpOn = config.awp && epoch >= config.awpWarmup;
    for (let b = 0; b < batches; b++) {
      const indices = order.slice(b * config.batchSize, (b + 1) * config.batchSize);
      const batch = selectExamples(trainData, indices, trainData.spec);
      const x = tf.tensor4d(batch.images, [indices.length, h, w, c]);
      const labels = tf.tensor1d(batch.labels, 'int32');
      const lr = learningRate(schedule, config.lr, epoch, b / batches, config.epochs);
      const result = trainStep(model, weights, buffers, x, labels, {
        method: config.method, attack, beta: config.beta, awpGamma: awpOn ? config.awpGamma : 0, awpSteps: config.awpSteps,
        sgd: { lr, momentum: config.momentum, weightDecay: config.weightDecay }, seed: batchSeed(config.seed, epoch, b),
      });
      tf.dispose([x, labels]);
      // BatchNorm-free models return no state; keep the previous (empty) one.
      const nextWeights = { params: result.weights.params, state: Object.keys(result.weights.state).length > 0 ? result.weights.state : weights.state };
      tf.dispose([...Object.values(weights.params), ...(nextWeights.state === weights.state ? [] : Object.values(weights.state)), ...Object.values(buffers)]);
      weights = nextWeights;
      buffers = result.buffers;
      if (!Number.isFinite(result.loss)) throw new WeightscapeError('numeric', `training loss is ${result.loss} at epoch ${epoch + 1}, batch ${b + 1} (lower --lr?)`);
      lossSum += result.loss;
      request.onBatch?.(epoch, b, batches, result.loss);
    }
    const evalSeed = config.seed + 17;
    const trainMetrics = evaluateSplit({ weights, config: model, data: trainEval, attack: evalAttack, batchSize: 256, seed: evalSeed });
    const testMetrics = evaluateSplit({ weights, config: model, data: testEval, attack: evalAttack, batchSize: 256, seed: evalSeed });
    const record: EpochRecord = {
      epoch: epoch + 1,
      lr: learningRate(schedule, config.lr, epoch, 0, config.epochs),
      seconds: (performance.now() - started) / 1000,
      trainLoss: lossSum / batches,
      awp: awpOn,
      train: trainMetrics,
      test: testMetrics,
      gap: trainMetrics.robust && testMetrics.robust
        ? { accuracy: trainMetrics.robust.accuracy - testMetrics.robust.accuracy, loss: trainMetrics.robust.loss - testMetrics.robust.loss } : null,
    };
    log.epochs.push(record);
    log.provenance.wallSeconds += record.seconds;
    // Log first, run state last: a kill in between leaves the log ahead of the state, and resume
    // drops log entries past the state's epoch and recomputes them.
    writeFileAtomic(logPath, `${JSON.stringify(log, null, 2)}\n`);
    saveNativeCheckpoint(join(outDir, 'model.safetensors'), weights, model, { training: config, epoch: epoch + 1 });
    saveRunState(statePath, { weights, buffers, epoch: epoch + 1 }, JSON.stringify(config));
    request.onEpoch?.(record);
    finishedThisCall++;
    if (request.stopAfterEpochs !== undefined && finishedThisCall >= request.stopAfterEpochs) break;
  }
  disposeAll(weights, buffers);
  return log;
}
