/** The tiny training run the train and study tests share: a seconds-long PGD-AT run of a small convnet. */
import { resolveTrainConfig, type TrainConfig } from '../../src/train/train-config.ts';

/** Its attack, for training and for evaluating what it trained. */
export const TINY_ATTACK = 'pgd:linf:eps=0.1:steps=2:step=0.05';

/** A width-4 convnet, no dropout, 3 epochs on 64 mini images (batches of 32, evaluated on 20); `overrides` on top. */
export function tinyTrainConfig(overrides: Partial<TrainConfig> = {}): TrainConfig {
  return resolveTrainConfig({
    arch: 'convnet',
    archOptions: { width: 4, hidden: 16, dropout: 0 },
    data: 'mini',
    subset: 64,
    epochs: 3,
    batchSize: 32,
    attack: TINY_ATTACK,
    evalSubset: 20,
    lr: 0.05,
    seed: 1,
    ...overrides,
  });
}
