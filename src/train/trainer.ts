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
import { parseAttack, type AttackSpec } from '../attacks/attack-spec.ts';
import type { BackendInfo } from '../backend/select-backend.ts';
import { saveNativeCheckpoint } from '../checkpoints/native-checkpoint.ts';
import { modelClasses } from '../checkpoints/model-config.ts';
import { checkLabels, loadDataset, parseDataSpec, selectExamples, type LabeledImages } from '../data/dataset.ts';
import { stratifiedIndices } from '../data/subset.ts';
import { WeightscapeError } from '../errors.ts';
import { evaluateSplit } from '../eval/split-metrics.ts';
import { architecture } from '../models/registry.ts';
import type { ModelConfig, ModelWeights } from '../models/types.ts';
import { writeFileAtomic } from '../results/atomic-write.ts';
import { readResult } from '../results/read-result.ts';
import { provenance } from '../results/provenance.ts';
import { initWeights } from './init-weights.ts';
import { loadRunState, saveRunState } from './run-state.ts';
import { learningRate, parseSchedule } from './schedule.ts';
import { trainWarnings, type TrainConfig } from './train-config.ts';
import { trainEpoch, type EpochInputs, type RunTensors } from './train-epoch.ts';

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

function disposeAll({ weights, buffers }: RunTensors): void {
  tf.dispose([...Object.values(weights.params), ...Object.values(weights.state), ...Object.values(buffers)]);
}

/** The evaluation subset of a split: stratified, fixed by the seed. */
function evalSubset(data: LabeledImages, size: number, seed: number): LabeledImages {
  if (size >= data.shape[0]) return data;
  return selectExamples(data, stratifiedIndices(data.labels, size, seed + 1), `${data.spec}[eval ${size}]`);
}

/** Both splits and the model they train, labels checked against its class count before any work. */
function openTrainingData(config: TrainConfig): {
  trainData: LabeledImages;
  testData: LabeledImages;
  model: ModelConfig;
} {
  const spec = parseDataSpec(config.data);
  const trainData = loadDataset(spec, { split: 'train', subset: config.subset ?? undefined, seed: config.seed });
  const testData = loadDataset(spec, { split: 'test' });
  const [, height, width, channels] = trainData.shape;
  // The rule every command uses (no checkpoint here), and labels checked before any work.
  const classes = modelClasses({ classes: config.classes, data: spec });
  for (const data of [trainData, testData]) checkLabels(data, classes);
  const model: ModelConfig = {
    arch: config.arch,
    options: architecture(config.arch).parseOptions(config.archOptions) as Record<string, unknown>,
    input: { height, width, channels },
    classes,
  };
  return { trainData, testData, model };
}

/** The run to continue (--resume with a run state) or a fresh one: its log, tensors and first epoch. */
function startRun(
  request: TrainRequest,
  model: ModelConfig,
  trainData: LabeledImages,
  paths: { log: string; state: string },
): { log: TrainLog; run: RunTensors; firstEpoch: number } {
  const { config, outDir } = request;
  if (request.resume && existsSync(paths.state)) {
    const saved = loadRunState(paths.state);
    if (saved.configJson !== JSON.stringify(config)) {
      disposeAll(saved);
      throw new WeightscapeError(
        'bad-argument',
        `--resume: the options differ from the run in ${outDir} (its configuration is in log.json)`,
      );
    }
    let log: TrainLog;
    try {
      log = readResult(paths.log, 'train log');
    } catch (error) {
      disposeAll(saved);
      throw error;
    }
    log.epochs = log.epochs.filter((e) => e.epoch <= saved.epoch); // the log may have been written before a kill
    return { log, run: { weights: saved.weights, buffers: saved.buffers }, firstEpoch: saved.epoch };
  }
  const log: TrainLog = {
    schema: TRAIN_LOG_SCHEMA,
    config,
    model,
    note:
      'train and test metrics are measured on the unperturbed weights (θ, not θ + v), on fixed stratified subsets, ' +
      'in eval mode; the AWP reference code logs train robust accuracy on perturbed weights instead',
    notes: trainWarnings(config),
    epochs: [],
    provenance: provenance({
      backend: request.backend,
      seed: config.seed,
      wallSeconds: 0,
      data: { spec: config.data, count: trainData.shape[0] },
    }),
  };
  return { log, run: { weights: initWeights(model, config.seed), buffers: {} }, firstEpoch: 0 };
}

/** The epoch's record: metrics on the unperturbed weights on the fixed evaluation subsets, and the gap. */
function epochRecord(
  weights: ModelWeights,
  model: ModelConfig,
  evalSets: { trainEval: LabeledImages; testEval: LabeledImages; evalAttack: AttackSpec; seed: number },
  epoch: EpochRecord['epoch'],
  rest: Pick<EpochRecord, 'lr' | 'trainLoss' | 'awp'>,
  started: number,
): EpochRecord {
  const { trainEval, testEval, evalAttack } = evalSets;
  const evalSeed = evalSets.seed + 17;
  const trainMetrics = evaluateSplit({
    weights,
    config: model,
    data: trainEval,
    attack: evalAttack,
    batchSize: 256,
    seed: evalSeed,
  });
  const testMetrics = evaluateSplit({
    weights,
    config: model,
    data: testEval,
    attack: evalAttack,
    batchSize: 256,
    seed: evalSeed,
  });
  const { lr, trainLoss, awp } = rest;
  return {
    epoch,
    lr,
    // The epoch's training and its evaluation.
    seconds: (performance.now() - started) / 1000,
    trainLoss,
    awp,
    train: trainMetrics,
    test: testMetrics,
    gap:
      trainMetrics.robust && testMetrics.robust
        ? {
            accuracy: trainMetrics.robust.accuracy - testMetrics.robust.accuracy,
            loss: trainMetrics.robust.loss - testMetrics.robust.loss,
          }
        : null,
  };
}

/**
 * Log first, run state last: a kill in between leaves the log ahead of the state, and resume drops log entries past the
 * state's epoch and recomputes them.
 */
function saveEpoch(
  outDir: string,
  paths: { log: string; state: string },
  log: TrainLog,
  run: RunTensors,
  model: ModelConfig,
  config: TrainConfig,
  epoch: number,
): void {
  writeFileAtomic(paths.log, `${JSON.stringify(log, null, 2)}\n`);
  saveNativeCheckpoint(join(outDir, 'model.safetensors'), run.weights, model, { training: config, epoch });
  saveRunState(paths.state, { weights: run.weights, buffers: run.buffers, epoch }, JSON.stringify(config));
}

/** Trains (or resumes) a run in request.outDir; returns its log. */
export function train(request: TrainRequest): TrainLog {
  const { config, outDir } = request;
  const paths = { log: join(outDir, 'log.json'), state: join(outDir, 'run-state.safetensors') };
  if (!request.resume && existsSync(paths.log)) {
    throw new WeightscapeError(
      'bad-argument',
      `--out ${outDir}: already holds a run (log.json); pass --resume to continue it, or choose another directory`,
    );
  }
  const { trainData, testData, model } = openTrainingData(config);
  mkdirSync(outDir, { recursive: true });
  const evalSets = {
    trainEval: evalSubset(trainData, config.evalSubset, config.seed),
    testEval: evalSubset(testData, config.evalSubset, config.seed),
    evalAttack: parseAttack(config.evalAttack),
    seed: config.seed,
  };
  const inputs: EpochInputs = {
    config,
    model,
    trainData,
    attack: parseAttack(config.attack),
    schedule: parseSchedule(config.schedule, config.lrDecay),
    onBatch: request.onBatch,
  };
  const { log, run, firstEpoch } = startRun(request, model, trainData, paths);
  try {
    let finishedThisCall = 0;
    for (let epoch = firstEpoch; epoch < config.epochs; epoch++) {
      const started = performance.now();
      const trainLoss = trainEpoch(run, epoch, inputs);
      const record = epochRecord(
        run.weights,
        model,
        evalSets,
        epoch + 1,
        {
          lr: learningRate(inputs.schedule, config.lr, epoch, 0, config.epochs),
          trainLoss,
          awp: config.awp && epoch >= config.awpWarmup,
        },
        started,
      );
      log.epochs.push(record);
      log.provenance.wallSeconds += record.seconds;
      saveEpoch(outDir, paths, log, run, model, config, epoch + 1);
      request.onEpoch?.(record);
      finishedThisCall++;
      if (request.stopAfterEpochs !== undefined && finishedThisCall >= request.stopAfterEpochs) break;
    }
    return log;
  } finally {
    disposeAll(run);
  }
}
