/**
 * The training loop: epochs of shuffled batches (seeded per epoch), one train step per batch
 * (seeded per batch), then metrics on fixed evaluation subsets of the training and test splits,
 * on the unperturbed weights. Each epoch writes, atomically and in this order, the epoch's own
 * checkpoint (epochs/epoch-NNN.safetensors, when --save-every or --save-epochs keep it), log.json
 * (which lists that file with its SHA-256), the native checkpoint and the run state (resume); a run
 * killed at any moment resumes from its last finished epoch, rewrites the files of the epochs it
 * redoes with the same bytes, and ends with the same weights as an uninterrupted run.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseAttack, type AttackSpec } from '../attacks/attack-spec.ts';
import type { BackendInfo } from '../backend/select-backend.ts';
import { serializeNativeCheckpoint } from '../checkpoints/native-checkpoint.ts';
import { disposeWeights } from '../checkpoints/map-to-model.ts';
import { fixedShape, modelClasses } from '../checkpoints/model-config.ts';
import { checkLabels, loadDataset, parseDataSpec, selectExamples, type LabeledImages } from '../data/dataset.ts';
import { stratifiedIndices } from '../data/subset.ts';
import { WeightscapeError } from '../errors.ts';
import { evaluateSplit } from '../eval/split-metrics.ts';
import { architecture } from '../models/registry.ts';
import type { ModelConfig, ModelWeights } from '../models/types.ts';
import { writeFileAtomic } from '../results/atomic-write.ts';
import { readResult } from '../results/read-result.ts';
import { provenance } from '../results/provenance.ts';
import { openConfiguredInit, type InitCheckpoint } from './init-checkpoint.ts';
import { initWeights } from './init-weights.ts';
import { loadRunState, saveRunState } from './run-state.ts';
import { learningRate, parseSchedule } from './schedule.ts';
import { configDifferences, savesEpoch, trainWarnings, type TrainConfig } from './train-config.ts';
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

/**
 * Both splits and the model they train (with --init, the init checkpoint's, whose weights the
 * caller disposes), labels checked against its class count before any work.
 */
function openTrainingData(config: TrainConfig): {
  trainData: LabeledImages;
  testData: LabeledImages;
  model: ModelConfig;
  init?: InitCheckpoint;
} {
  const spec = parseDataSpec(config.data);
  const trainData = loadDataset(spec, { split: 'train', subset: config.subset ?? undefined, seed: config.seed });
  const testData = loadDataset(spec, { split: 'test' });
  const [, height, width, channels] = trainData.shape;
  if (config.init !== null) {
    const init = openConfiguredInit(config.init, {
      arch: config.arch,
      options: config.archOptions,
      input: { height, width, channels },
      classes: config.classes,
      data: spec,
    });
    try {
      for (const data of [trainData, testData]) checkLabels(data, init.model.classes);
    } catch (error) {
      disposeWeights(init.weights);
      throw error;
    }
    return { trainData, testData, model: init.model, init };
  }
  // The rule every command uses (no checkpoint here), and labels checked before any work.
  const options = architecture(config.arch).parseOptions(config.archOptions) as Record<string, unknown>;
  const input = { height, width, channels };
  const fixed = fixedShape(config.arch, options, { input, classes: config.classes, data: spec });
  const classes = fixed?.classes ?? modelClasses({ classes: config.classes, data: spec });
  for (const data of [trainData, testData]) checkLabels(data, classes);
  const model: ModelConfig = { arch: config.arch, options, input, classes };
  return { trainData, testData, model };
}

/** The run to continue (--resume with a run state) or a fresh one (from `init` if given): log, tensors, first epoch. */
function startRun(
  request: TrainRequest,
  model: ModelConfig,
  trainData: LabeledImages,
  paths: { log: string; state: string },
  init: InitCheckpoint | undefined,
): { log: TrainLog; run: RunTensors; firstEpoch: number } {
  const { config, outDir } = request;
  if (request.resume && existsSync(paths.state)) {
    // The run state holds the weights; the init checkpoint only had to match the configuration.
    if (init) disposeWeights(init.weights);
    const saved = loadRunState(paths.state);
    const differences = configDifferences(saved.configJson, config);
    if (differences.length > 0) {
      disposeAll(saved);
      throw new WeightscapeError(
        'bad-argument',
        `--resume: the options differ from the run in ${outDir} (${differences.join(', ')}; its configuration is in log.json)`,
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
    notes: [...trainWarnings(config), ...(init?.notes.map((n) => `--init ${init.init.path}: ${n}`) ?? [])],
    epochs: [],
    provenance: provenance({
      backend: request.backend,
      seed: config.seed,
      wallSeconds: 0,
      data: { spec: config.data, count: trainData.shape[0] },
    }),
  };
  // A fresh optimizer either way: no momentum buffers until the first step.
  return { log, run: { weights: init?.weights ?? initWeights(model, config.seed), buffers: {} }, firstEpoch: 0 };
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

/** An epoch's file under the run directory: 3 digits, more when --epochs has more (so that names sort). */
export function epochCheckpointPath(epoch: number, epochs: number): string {
  return `epochs/epoch-${String(epoch).padStart(Math.max(3, String(epochs).length), '0')}.safetensors`;
}

/**
 * The epoch's checkpoint first (when kept), then the log that lists it, run state last: a kill in
 * between leaves the files ahead of the state, and resume drops log entries past the state's epoch
 * and recomputes them, rewriting the same epoch files.
 */
function saveEpoch(
  outDir: string,
  paths: { log: string; state: string },
  log: TrainLog,
  run: RunTensors,
  model: ModelConfig,
  config: TrainConfig,
  record: EpochRecord,
): void {
  const { epoch } = record;
  const bytes = serializeNativeCheckpoint(run.weights, model, { training: config, epoch });
  if (savesEpoch(config, epoch)) {
    const path = epochCheckpointPath(epoch, config.epochs);
    mkdirSync(join(outDir, 'epochs'), { recursive: true });
    writeFileAtomic(join(outDir, path), bytes);
    record.checkpoint = { path, sha256: createHash('sha256').update(bytes).digest('hex') };
  }
  writeFileAtomic(paths.log, `${JSON.stringify(log, null, 2)}\n`);
  writeFileAtomic(join(outDir, 'model.safetensors'), bytes);
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
  // Parsed before the init checkpoint's tensors exist, so that an error here leaks nothing.
  const attack = parseAttack(config.attack);
  const evalAttack = parseAttack(config.evalAttack);
  const schedule = parseSchedule(config.schedule, config.lrDecay);
  const { trainData, testData, model, init } = openTrainingData(config);
  mkdirSync(outDir, { recursive: true });
  const evalSets = {
    trainEval: evalSubset(trainData, config.evalSubset, config.seed),
    testEval: evalSubset(testData, config.evalSubset, config.seed),
    evalAttack,
    seed: config.seed,
  };
  const inputs: EpochInputs = {
    config,
    model,
    trainData,
    attack,
    schedule,
    onBatch: request.onBatch,
  };
  const { log, run, firstEpoch } = startRun(request, model, trainData, paths, init);
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
      saveEpoch(outDir, paths, log, run, model, config, record);
      request.onEpoch?.(record);
      finishedThisCall++;
      if (request.stopAfterEpochs !== undefined && finishedThisCall >= request.stopAfterEpochs) break;
    }
    return log;
  } finally {
    disposeAll(run);
  }
}
