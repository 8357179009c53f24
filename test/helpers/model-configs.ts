/** Model configurations the tests build models from without a checkpoint. */
import type { ModelConfig } from '../../src/models/types.ts';

/** A convnet for 28×28 grey images and 10 classes, without dropout. */
export function mnistConvnet(width: number, hidden: number): ModelConfig {
  return {
    arch: 'convnet',
    options: { width, hidden, dropout: 0 },
    input: { height: 28, width: 28, channels: 1 },
    classes: 10,
  };
}
