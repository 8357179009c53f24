import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadCheckpoint, type LoadedCheckpoint } from '../../src/checkpoints/load-checkpoint.ts';
import { modelClasses, resolveModelConfig, resolveOrDetectModelConfig } from '../../src/checkpoints/model-config.ts';
import { WeightscapeError } from '../../src/errors.ts';
import { parseDataSpec } from '../../src/data/dataset.ts';

const bare = (metadata: Record<string, string> = {}): LoadedCheckpoint => ({
  path: 'model.pt',
  format: 'pytorch-zip',
  layout: 'pytorch',
  tensors: new Map(),
  metadata,
  notes: [],
  sha256: '',
});
const CONVNET = { arch: 'convnet', options: { width: 8, hidden: 16 } };

test('the class count of a checkpoint without metadata comes from the data (it was 10 for sample and flatness)', () => {
  assert.equal(
    resolveModelConfig(bare(), { ...CONVNET, data: parseDataSpec('cifar100:/data/cifar-100-binary') }).classes,
    100,
  );
  assert.equal(resolveModelConfig(bare(), { ...CONVNET, data: parseDataSpec('mini') }).classes, 10);
  // npy data says nothing: 10, as before.
  assert.equal(resolveModelConfig(bare(), { ...CONVNET, data: parseDataSpec('npy:x.npy,y.npy') }).classes, 10);
  // The checkpoint's metadata and --classes keep their say.
  assert.equal(
    resolveModelConfig(bare({ classes: '7' }), { ...CONVNET, data: parseDataSpec('npy:x.npy,y.npy') }).classes,
    7,
  );
  assert.equal(
    resolveModelConfig(bare({ classes: '7' }), { ...CONVNET, classes: 5, data: parseDataSpec('mini') }).classes,
    5,
  );
  // train has no checkpoint: the same rule without it.
  assert.equal(modelClasses({ data: parseDataSpec('cifar100:/d') }), 100);
  assert.equal(modelClasses({ data: parseDataSpec('npy:x.npy,y.npy') }), 10);
});

test('a checkpoint whose class count contradicts the data is refused, naming both', () => {
  assert.throws(
    () => resolveModelConfig(bare({ classes: '100' }), { ...CONVNET, data: parseDataSpec('mini') }),
    (e: unknown) =>
      e instanceof WeightscapeError &&
      e.isUserError &&
      /model\.pt \(metadata\) has 100 classes but --data mini has 10/.test(e.message),
  );
  // Detected from the tensors: the convnet fixture's output layer has 10 classes.
  const checkpoint = loadCheckpoint(fileURLToPath(new URL('../../fixtures/models/convnet-mnist.pt', import.meta.url)));
  assert.equal(resolveOrDetectModelConfig(checkpoint, { data: parseDataSpec('mini') }, []).classes, 10);
  assert.throws(
    () => resolveOrDetectModelConfig(checkpoint, { data: parseDataSpec('cifar100:/d') }, []),
    /has 10 classes but --data cifar100:\/d has 100/,
  );
});
