import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/select-backend.ts';
import { loadCheckpoint } from '../../src/checkpoints/load-checkpoint.ts';
import { checkpointToWeights, disposeWeights } from '../../src/checkpoints/map-to-model.ts';
import { resolveModelConfig, resolveOrDetectModelConfig } from '../../src/checkpoints/model-config.ts';
import { readPytorchCheckpoint } from '../../src/checkpoints/pytorch-checkpoint.ts';
import { WeightscapeError } from '../../src/errors.ts';
import { preactResnet18 } from '../../src/models/preact-resnet18.ts';
import { resnet } from '../../src/models/resnet.ts';
import { FIXTURE_DIR } from '../helpers/fixtures.ts';
import { PickleBuilder, torchStateDict, zipStored } from '../helpers/torch-writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'weightscape-pt-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function badFile(fn: () => unknown, pattern: RegExp) {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof WeightscapeError, `expected a WeightscapeError, got ${String(error)}`);
    assert.ok(error.isUserError);
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes('\n'), 'one line');
    return true;
  });
}

test('a pickle that calls os.system is refused at the global, and nothing runs', () => {
  const marker = join(dir, 'pwned');
  const pickle = new PickleBuilder().global('os', 'system').mark().unicode(`touch ${marker}`).tuple().reduce().stop();
  const file = zipStored([['archive/data.pkl', pickle]]);
  badFile(() => readPytorchCheckpoint(file, 'evil.pt'), /^evil\.pt: refusing pickle global 'os\.system'/);
  assert.equal(existsSync(marker), false);
});

test('other globals outside the allow-list are refused by name (GLOBAL and STACK_GLOBAL)', () => {
  for (const [module, name] of [
    ['builtins', 'eval'],
    ['__builtin__', 'getattr'],
    ['torch', 'load'],
    ['subprocess', 'Popen'],
    ['collections', 'defaultdict'],
  ]) {
    const pickle = new PickleBuilder().global(module!, name!).stop();
    badFile(
      () => readPytorchCheckpoint(zipStored([['a/data.pkl', pickle]]), 'x.pt'),
      new RegExp(`refusing pickle global '${module}\\.${name}'`),
    );
  }
  // protocol 4: the names come from the stack
  const stacked = new PickleBuilder()
    .op(0x8c, 8, ...new TextEncoder().encode('builtins'))
    .op(0x8c, 4, ...new TextEncoder().encode('exec'))
    .op(0x93)
    .stop();
  badFile(
    () => readPytorchCheckpoint(zipStored([['a/data.pkl', stacked]]), 'x.pt'),
    /refusing pickle global 'builtins\.exec'/,
  );
});

test('a truncated .pt gives one clear error', () => {
  const bytes = new Uint8Array(readFileSync(`${FIXTURE_DIR}convnet-mnist.pt`));
  for (const keep of [100, Math.floor(bytes.byteLength / 2), bytes.byteLength - 10]) {
    const path = join(dir, `truncated-${keep}.pt`);
    writeFileSync(path, bytes.subarray(0, keep));
    badFile(() => loadCheckpoint(path), /truncated|corrupt zip archive/);
  }
});

test('a state dict written from the format description (no Python) loads with the right values and strides', () => {
  const values = Float32Array.from({ length: 6 }, (_, i) => i + 0.5);
  const path = join(dir, 'small.pt');
  writeFileSync(
    path,
    torchStateDict([
      { name: 'w', shape: [2, 3], values },
      { name: 'b', shape: [3], values: new Float32Array([7, 8, 9]) },
    ]),
  );
  const checkpoint = loadCheckpoint(path);
  assert.equal(checkpoint.format, 'pytorch-zip');
  assert.deepEqual(checkpoint.tensors.get('w')!.shape, [2, 3]);
  assert.deepEqual(Array.from(checkpoint.tensors.get('w')!.values), Array.from(values));
  assert.deepEqual(Array.from(checkpoint.tensors.get('b')!.values), [7, 8, 9]);
});

test('a full-size preact-resnet18 .pt (11.2M parameters, generated here) loads and maps onto the architecture', async () => {
  await selectBackend('wasm');
  const config = {
    arch: 'preact-resnet18',
    options: { width: 64 },
    input: { height: 32, width: 32, channels: 3 },
    classes: 10,
  };
  const specs = preactResnet18.tensorSpecs(config);
  let seed = 1;
  const tensors = specs.map((spec) => {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++)
      values[i] = ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * (spec.role === 'bn-running-var' ? 1 : 0.1);
    return { name: spec.name, shape: spec.shape, values };
  });
  const parameters = tensors
    .filter((t) => !t.name.includes('running') && !t.name.endsWith('num_batches_tracked'))
    .reduce((a, t) => a + t.values.length, 0);
  assert.equal(parameters, 11_172_170); // PreActResNet18(64, 10) counted by PyTorch 1.13
  const path = join(dir, 'preact-resnet18-full.pt');
  writeFileSync(path, torchStateDict(tensors));
  const checkpoint = loadCheckpoint(path);
  const { weights } = checkpointToWeights(
    checkpoint,
    resolveModelConfig(checkpoint, { arch: 'preact-resnet18', options: { width: 64 } }),
  );
  // conv1.weight is OIHW [64, 3, 3, 3] in the file and HWIO [3, 3, 3, 64] in the model.
  assert.deepEqual(weights.params['conv1.weight']!.shape, [3, 3, 3, 64]);
  const fileValue = tensors[0]!.values[1 * 27 + 2 * 9 + 0 * 3 + 2]!; // o=1, i=2, h=0, w=2
  const modelValue = tf.tidy(() => tf.slice(weights.params['conv1.weight']!, [0, 2, 2, 1], [1, 1, 1, 1]).dataSync()[0]);
  assert.equal(modelValue, fileValue);
  assert.deepEqual(weights.params['linear.weight']!.shape, [512, 10]);
  disposeWeights(weights);
});

test('a full-size ResNet-18 .pt (kuangliu names, width 64, zeros) is detected as resnet depth 18 and maps every tensor', async () => {
  await selectBackend('wasm');
  const specs = resnet.tensorSpecs({
    arch: 'resnet',
    options: { depth: 18, width: 64, stem: 'cifar' },
    input: { height: 32, width: 32, channels: 3 },
    classes: 10,
  });
  const tensors = specs.map((spec) => ({
    name: spec.name,
    shape: spec.shape,
    values: new Float32Array(spec.shape.reduce((a, b) => a * b, 1)),
  }));
  const trainable = tensors.filter((t) => !t.name.includes('running') && !t.name.endsWith('num_batches_tracked'));
  // ResNet18() of kuangliu's models/resnet.py counted by PyTorch 1.13: parameters and state_dict entries.
  assert.equal(
    trainable.reduce((a, t) => a + t.values.length, 0),
    11_173_962,
  );
  assert.equal(tensors.length, 122);
  const path = join(dir, 'resnet18-full.pt');
  writeFileSync(path, torchStateDict(tensors));
  const checkpoint = loadCheckpoint(path);
  const notes: string[] = [];
  const config = resolveOrDetectModelConfig(checkpoint, {}, notes);
  assert.deepEqual(notes, ['architecture detected from the tensors: resnet']);
  assert.equal(config.arch, 'resnet');
  assert.deepEqual(config.options, { depth: 18, width: 64, stem: 'cifar' });
  assert.equal(config.classes, 10);
  const { weights, notes: mapNotes } = checkpointToWeights(checkpoint, config);
  assert.deepEqual(mapNotes, []);
  assert.equal(Object.keys(weights.params).length + Object.keys(weights.state).length, checkpoint.tensors.size);
  assert.deepEqual(weights.params['conv1.weight']!.shape, [3, 3, 3, 64]);
  assert.deepEqual(weights.params['layer4.0.shortcut.0.weight']!.shape, [1, 1, 256, 512]);
  assert.deepEqual(weights.params['linear.weight']!.shape, [512, 10]);
  disposeWeights(weights);
});
