/**
 * One epoch of training: the examples shuffled (seeded per epoch), one train step per batch
 * (seeded per batch), the learning rate from the schedule at the batch's fraction of the epoch.
 */
import * as tf from '@tensorflow/tfjs';
import type { AttackSpec } from '../attacks/attack-spec.ts';
import { selectExamples, type LabeledImages } from '../data/dataset.ts';
import { WeightscapeError } from '../errors.ts';
import type { ModelConfig, ModelWeights, TensorMap } from '../models/types.ts';
import { seededUniform, shuffled } from '../random.ts';
import { learningRate, type Schedule } from './schedule.ts';
import type { TrainConfig } from './train-config.ts';
import { trainStep } from './train-step.ts';

/** The tensors a run owns; an epoch replaces them in place, so that its owner disposes the current ones. */
export interface RunTensors {
  weights: ModelWeights;
  /** Optimizer state (momentum). */
  buffers: TensorMap;
}

export interface EpochInputs {
  config: TrainConfig;
  model: ModelConfig;
  trainData: LabeledImages;
  attack: AttackSpec;
  schedule: Schedule;
  onBatch?: (epoch: number, batch: number, batches: number, loss: number) => void;
}

export function batchSeed(seed: number, epoch: number, batch: number): number {
  return (seed * 1_000_003 + epoch * 10_007 + batch) % 2_147_483_647;
}

/** Trains `run` for one epoch (0-based); returns the mean training loss over its batches. */
export function trainEpoch(run: RunTensors, epoch: number, inputs: EpochInputs): number {
  const { config, model, trainData, attack, schedule } = inputs;
  const [n, h, w, c] = trainData.shape;
  const batches = Math.ceil(n / config.batchSize);
  const order = shuffled(
    Array.from({ length: n }, (_, i) => i),
    seededUniform(batchSeed(config.seed, epoch, 999_983)),
  );
  let lossSum = 0;
  const awpOn = config.awp && epoch >= config.awpWarmup;
  for (let b = 0; b < batches; b++) {
    const indices = order.slice(b * config.batchSize, (b + 1) * config.batchSize);
    const batch = selectExamples(trainData, indices, trainData.spec);
    const x = tf.tensor4d(batch.images, [indices.length, h, w, c]);
    const labels = tf.tensor1d(batch.labels, 'int32');
    const lr = learningRate(schedule, config.lr, epoch, b / batches, config.epochs);
    const { weights, buffers } = run;
    const result = trainStep(model, weights, buffers, x, labels, {
      method: config.method,
      attack,
      beta: config.beta,
      awpGamma: awpOn ? config.awpGamma : 0,
      awpSteps: config.awpSteps,
      sgd: { lr, momentum: config.momentum, weightDecay: config.weightDecay },
      seed: batchSeed(config.seed, epoch, b),
    });
    tf.dispose([x, labels]);
    // BatchNorm-free models return no state; keep the previous (empty) one.
    const nextWeights = {
      params: result.weights.params,
      state: Object.keys(result.weights.state).length > 0 ? result.weights.state : weights.state,
    };
    tf.dispose([
      ...Object.values(weights.params),
      ...(nextWeights.state === weights.state ? [] : Object.values(weights.state)),
      ...Object.values(buffers),
    ]);
    run.weights = nextWeights;
    run.buffers = result.buffers;
    if (!Number.isFinite(result.loss))
      throw new WeightscapeError(
        'numeric',
        `training loss is ${result.loss} at epoch ${epoch + 1}, batch ${b + 1} (lower --lr?)`,
      );
    lossSum += result.loss;
    inputs.onBatch?.(epoch, b, batches, result.loss);
  }
  return lossSum / batches;
}
