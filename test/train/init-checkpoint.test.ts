import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDataSpec } from '../../src/data/dataset.ts';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { parseAttack } from '../../src/attacks/attack-spec.ts';
import { loadCheckpoint } from '../../src/checkpoints/load-checkpoint.ts';
import { disposeWeights } from '../../src/checkpoints/map-to-model.ts';
import { architecture } from '../../src/models/registry.ts';
import { toPytorchLayout } from '../../src/models/tensor-layout.ts';
import type { ModelConfig } from '../../src/models/types.ts';
import { initSettings, openInitCheckpoint } from '../../src/train/init-checkpoint.ts';
import { resolveTrainConfig } from '../../src/train/train-config.ts';
import { trainStep } from '../../src/train/train-step.ts';
import { train } from '../../src/train/trainer.ts';
import { selectBackendAndEngine } from '../helpers/engine.ts';
import { readFloats } from '../helpers/fixtures.ts';

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const INIT = `${FIXTURES}train/init-convnet.pt`;
const MNIST_INPUT = { height: 28, width: 28, channels: 1 };

const dir = mkdtempSync(join(tmpdir(), 'weightscape-init-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** Values of a tfjs-layout tensor in PyTorch's layout. */
function torchLayout(config: ModelConfig, name: string, t: tf.Tensor): Float32Array {
  const spec = architecture(config.arch)
    .tensorSpecs(config)
    .find((s) => s.name === name)!;
  return tf.tidy(() => Float32Array.from(toPytorchLayout(t, spec.role).dataSync()));
}

function maxRelative(got: Float32Array, want: Float32Array): number {
  let diff = 0;
  let ref = 0;
  want.forEach((v, i) => {
    diff = Math.max(diff, Math.abs(got[i]! - v));
    ref = Math.max(ref, Math.abs(v));
  });
  return diff / ref;
}

test("one PGD-AT + AWP step from --init's checkpoint (a PyTorch .pt) on cpu matches PyTorch's within 1e-4", async () => {
  await selectBackendAndEngine('cpu');
  const d = JSON.parse(readFileSync(`${FIXTURES}train/init-convnet-pgd-at-awp.json`, 'utf8')) as {
    gamma: number;
    eps: number;
    step: number;
    steps: number;
    lr: number;
    momentum: number;
    weightDecay: number;
    batch: number;
    loss: number;
  };
  // The path --init takes: the architecture detected from the file, the input from the data, --dropout 0.
  const init = openInitCheckpoint(INIT, { options: { dropout: 0 }, input: MNIST_INPUT, data: parseDataSpec('mini') });
  assert.equal(init.model.arch, 'convnet');
  assert.deepEqual(init.model.options, { width: 4, hidden: 16, dropout: 0 });
  assert.equal(init.init.sha256, loadCheckpoint(INIT).sha256);
  const shape = [d.batch, 28, 28, 1] as [number, number, number, number];
  const x = tf.tensor4d(readFloats(`${FIXTURES}train/init-convnet-pgd-at-awp.x.f32`), shape);
  const start = tf.tensor4d(readFloats(`${FIXTURES}train/init-convnet-pgd-at-awp.start.f32`), shape);
  const labelBytes = readFileSync(`${FIXTURES}train/init-convnet-pgd-at-awp.labels.i32`);
  const labels = tf.tensor1d(
    new Int32Array(labelBytes.buffer.slice(labelBytes.byteOffset, labelBytes.byteOffset + labelBytes.byteLength)),
    'int32',
  );
  const result = trainStep(init.model, init.weights, {}, x, labels, {
    method: 'pgd-at',
    attack: parseAttack(`pgd:linf:eps=${d.eps}:steps=${d.steps}:step=${d.step}`),
    beta: 6,
    awpGamma: d.gamma,
    awpSteps: 1,
    sgd: { lr: d.lr, momentum: d.momentum, weightDecay: d.weightDecay },
    seed: 0,
    attackStart: start,
  });
  assert.ok(Math.abs(result.loss - d.loss) / d.loss < 1e-4, `loss ${result.loss} vs PyTorch ${d.loss}`);
  assert.equal(Object.keys(result.perturbationRatios).length, 7, 'AWP perturbed every weight matrix');
  const expected = loadCheckpoint(`${FIXTURES}train/init-convnet-pgd-at-awp.after.safetensors`).tensors;
  assert.equal(Object.keys(result.weights.params).length, expected.size);
  for (const [name, t] of Object.entries(result.weights.params)) {
    const ratio = maxRelative(torchLayout(init.model, name, t), expected.get(name)!.values as Float32Array);
    assert.ok(ratio <= 1e-4, `${name}: max |Δ| / max |θ| = ${ratio}`);
  }
  disposeWeights(result.weights);
  disposeWeights(init.weights);
  tf.dispose([x, start, labels, ...Object.values(result.buffers)]);
});

test('--init maps BatchNorm running statistics with the weights (values equal to the file)', async () => {
  await selectBackendAndEngine('cpu');
  const path = `${FIXTURES}models/preact-resnet18.safetensors`;
  const init = openInitCheckpoint(path, {});
  const file = loadCheckpoint(path).tensors;
  const stats = Object.keys(init.weights.state).filter((n) => n.endsWith('running_var'));
  assert.ok(stats.length > 0);
  for (const name of [...stats, ...stats.map((n) => n.replace('running_var', 'running_mean'))]) {
    assert.deepEqual(
      Array.from(torchLayout(init.model, name, init.weights.state[name]!)),
      Array.from(file.get(name)!.values),
      name,
    );
  }
  disposeWeights(init.weights);
});

test('train from --init starts at the file’s weights and records its SHA-256; --arch that does not fit is refused', async () => {
  const backend = await selectBackendAndEngine('cpu');
  const settings = initSettings(INIT, { options: { dropout: 0 }, data: parseDataSpec('mini') });
  assert.equal(settings.arch, 'convnet');
  assert.deepEqual(settings.init, { path: INIT, sha256: loadCheckpoint(INIT).sha256 });
  // A learning rate so small that one epoch leaves the weights where they started.
  const config = resolveTrainConfig({
    ...settings,
    data: 'mini',
    subset: 32,
    epochs: 1,
    batchSize: 32,
    attack: 'fgsm:eps=0.1',
    evalSubset: 20,
    lr: 1e-20,
    momentum: 0,
    weightDecay: 0,
  });
  const out = join(dir, 'from-init');
  const log = train({ config, outDir: out, resume: false, backend });
  assert.deepEqual(log.config.init, settings.init);
  const trained = loadCheckpoint(join(out, 'model.safetensors')).tensors;
  const file = loadCheckpoint(INIT).tensors;
  for (const [name, t] of file) {
    assert.ok(maxRelative(trained.get(name)!.values as Float32Array, t.values as Float32Array) < 1e-6, name);
  }
  assert.throws(
    () => initSettings(INIT, { arch: 'convnet', options: { width: 8 }, data: parseDataSpec('mini') }),
    /init-convnet\.pt: does not fit convnet .*conv1\.weight has shape \[4, 1, 3, 3\] but convnet expects \[8, 1, 3, 3\]/,
  );
});

test('the train command: --init makes --arch optional, and --epochs 0 with --init is refused in one line', () => {
  const bin = fileURLToPath(new URL('../../bin/weightscape.js', import.meta.url));
  const result = spawnSync(
    process.execPath,
    [bin, 'train', '--init', INIT, '--data', 'mini', '--epochs', '0', '--out', join(dir, 'zero')],
    { encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(result.status, 2, result.stderr);
  assert.equal(
    result.stderr.trim(),
    `weightscape: --epochs 0 with --init: nothing would be trained (${INIT} is already that model); give --epochs 1 or more`,
  );
});
