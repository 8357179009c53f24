/** The attack fixtures' model (TRADES' SmallCNN trained on mini, fixtures/make_attack_fixtures.py) and test images. */
import { fileURLToPath } from 'node:url';
import { loadCheckpoint } from '../../src/checkpoints/load-checkpoint.ts';
import { checkpointToWeights, disposeWeights } from '../../src/checkpoints/map-to-model.ts';
import { resolveModelConfig } from '../../src/checkpoints/model-config.ts';
import { loadDataset, parseDataSpec, selectExamples, type LabeledImages } from '../../src/data/dataset.ts';
import type { ModelConfig, ModelWeights } from '../../src/models/types.ts';

export const CONVNET_MINI = fileURLToPath(new URL('../../fixtures/attacks/convnet-mini.pt', import.meta.url));

/** convnet-mini's configuration and weights (the caller disposes them with `dispose`). */
export function convnetMini(): { config: ModelConfig; weights: ModelWeights; dispose: () => void } {
  const checkpoint = loadCheckpoint(CONVNET_MINI);
  const config = resolveModelConfig(checkpoint, {
    arch: 'convnet',
    options: { width: 8, hidden: 32, dropout: 0 },
    input: { height: 28, width: 28, channels: 1 },
  });
  const { weights } = checkpointToWeights(checkpoint, config);
  return { config, weights, dispose: () => disposeWeights(weights) };
}

/** `count` `mini` test images from `start`, with their labels. */
export function miniTest(start: number, count: number): LabeledImages {
  return selectExamples(
    loadDataset(parseDataSpec('mini'), { split: 'test' }),
    Array.from({ length: count }, (_, i) => start + i),
    `mini/test[${start}:${start + count}]`,
  );
}
