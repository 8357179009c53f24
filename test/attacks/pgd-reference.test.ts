import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { parseAttack } from '../../src/attacks/attack-spec.ts';
import { loadCheckpoint } from '../../src/checkpoints/load-checkpoint.ts';
import { checkpointToWeights, disposeWeights } from '../../src/checkpoints/map-to-model.ts';
import { resolveModelConfig } from '../../src/checkpoints/model-config.ts';
import { loadDataset, parseDataSpec, selectExamples } from '../../src/data/dataset.ts';
import { evaluateSplit } from '../../src/eval/split-metrics.ts';
import { selectBackendAndEngine } from '../helpers/engine.ts';

const DIR = fileURLToPath(new URL('../../fixtures/attacks/', import.meta.url));
const reference = JSON.parse(readFileSync(`${DIR}convnet-mini.json`, 'utf8')) as {
  model: { arch: string; options: Record<string, unknown> };
  clean: { loss: number; accuracy: number };
  attacks: Array<{ attack: string; loss: number; accuracy: number }>;
};

const ENGINES = [
  { backend: 'wasm', onnxruntime: false },
  { backend: 'cpu', onnxruntime: false },
  { backend: 'wasm', onnxruntime: true },
] as const;

for (const { backend, onnxruntime } of ENGINES) {
  for (const expected of reference.attacks) {
    const title =
      `${expected.attack} on ${backend}${onnxruntime ? ' with onnxruntime' : ''}: ` +
      "adversarial loss within 1e-3 of PyTorch's, same robust accuracy";
    test(title, async () => {
      const info = await selectBackendAndEngine(backend, { onnxruntime });
      assert.equal(info.onnxruntime !== undefined, onnxruntime, info.onnxruntimeOff);
      const checkpoint = loadCheckpoint(`${DIR}convnet-mini.pt`);
      const config = resolveModelConfig(checkpoint, {
        ...reference.model,
        input: { height: 28, width: 28, channels: 1 },
      });
      const { weights } = checkpointToWeights(checkpoint, config);
      const test = loadDataset(parseDataSpec('mini'), { split: 'test' });
      const data = selectExamples(
        test,
        Array.from({ length: 100 }, (_, i) => i),
        'mini/test[:100]',
      );
      const before = tf.memory().numTensors;
      const metrics = evaluateSplit({
        weights,
        config,
        data,
        attack: parseAttack(expected.attack),
        batchSize: 100,
        seed: 0,
      });
      assert.equal(tf.memory().numTensors, before, 'the attack leaked tensors');
      assert.ok(
        Math.abs(metrics.clean.loss - reference.clean.loss) / reference.clean.loss < 1e-5,
        `clean loss ${metrics.clean.loss} vs ${reference.clean.loss}`,
      );
      assert.equal(metrics.clean.accuracy, Math.round(reference.clean.accuracy * 100) / 100);
      const relative = Math.abs(metrics.robust!.loss - expected.loss) / expected.loss;
      assert.ok(
        relative < 1e-3,
        `adversarial loss ${metrics.robust!.loss} vs PyTorch ${expected.loss} (relative ${relative})`,
      );
      assert.equal(metrics.robust!.accuracy, Math.round(expected.accuracy * 100) / 100);
      disposeWeights(weights);
    });
  }
}
