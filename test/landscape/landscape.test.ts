import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { parseAttack } from '../../src/attacks/attack-spec.ts';
import { selectBackend, type BackendInfo } from '../../src/backend/select-backend.ts';
import { loadCheckpoint } from '../../src/checkpoints/load-checkpoint.ts';
import { checkpointToWeights, disposeWeights } from '../../src/checkpoints/map-to-model.ts';
import { resolveModelConfig } from '../../src/checkpoints/model-config.ts';
import { buildDirection } from '../../src/directions/build-direction.ts';
import { outputUnitNorms } from '../../src/directions/normalize.ts';
import { evaluateCheckpoint } from '../../src/eval/evaluate-checkpoint.ts';
import { mergeLandscapes } from '../../src/landscape/merge-landscapes.ts';
import { parseRange } from '../../src/landscape/grid.ts';
import { sampleLandscape, type LandscapeSettings, type SweepSettings } from '../../src/landscape/sample-landscape.ts';
import { loadDataset, parseDataSpec, selectExamples } from '../../src/data/dataset.ts';
import { npyBytes } from '../helpers/npy-writer.ts';
import { writePreactNpy } from '../helpers/preact-inputs.ts';
import { parsedSettings } from '../helpers/sweep-settings.ts';

const FIX = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'weightscape-landscape-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** The first n mini test images as npy files: a data spec. */
function miniNpy(n: number): string {
  const data = selectExamples(
    loadDataset(parseDataSpec('mini'), { split: 'test' }),
    Array.from({ length: n }, (_, i) => i),
    'mini',
  );
  const images = join(dir, `mini-${n}.npy`);
  const labels = join(dir, `mini-${n}-labels.npy`);
  writeFileSync(images, npyBytes('<f4', data.shape, new Uint8Array(data.images.buffer)));
  writeFileSync(labels, npyBytes('<i4', [n], new Uint8Array(data.labels.buffer)));
  return `npy:${images},${labels}`;
}

const preactNpy = () => writePreactNpy(dir);

function settings(overrides: Partial<LandscapeSettings> & { checkpoint: string; data: string }): SweepSettings {
  return parsedSettings({
    split: 'test',
    subset: null,
    batchSize: 256,
    loss: 'clean',
    attack: 'none',
    fixedExamples: false,
    bn: 'eval',
    recalibrationBatches: 2,
    directions: ['filter'],
    includeBn: false,
    alphas: parseRange('-1:1:11'),
    betas: null,
    seed: 0,
    ...overrides,
  });
}

const CONVNET = { arch: 'convnet', options: { width: 8, hidden: 32, dropout: 0 } };

for (const [name, checkpoint, model, data] of [
  ['convnet-mini', `${FIX}attacks/convnet-mini.pt`, CONVNET, () => miniNpy(200)],
  ['preact-resnet18', `${FIX}models/preact-resnet18.pt`, { arch: 'preact-resnet18', options: { width: 4 } }, preactNpy],
] as const) {
  test(`${name}: the 1D clean-loss curve along a PyTorch-made direction matches PyTorch's to 1e-4 relative`, async () => {
    const backend = await selectBackend('wasm');
    const expected = JSON.parse(readFileSync(`${FIX}landscape/${name}.curve.json`, 'utf8')) as {
      loss: number[];
      accuracy: number[];
    };
    const result = sampleLandscape({
      settings: settings({
        checkpoint,
        data: data(),
        directions: [`file:${FIX}landscape/${name}.direction.safetensors`],
      }),
      model,
      backend,
    });
    const losses = result.values.cleanLoss[0]! as number[];
    losses.forEach((l, i) =>
      assert.ok(
        Math.abs(l - expected.loss[i]!) / expected.loss[i]! < 1e-4,
        `α index ${i}: ${l} vs PyTorch ${expected.loss[i]}`,
      ),
    );
    (result.values.cleanAccuracy[0]! as number[]).forEach((a, i) =>
      assert.ok(Math.abs(a - expected.accuracy[i]!) < 1e-6, `accuracy at α index ${i}`),
    );
    assert.equal(result.complete, true);
    assert.ok(result.flatness!.clean.curvature > 0);
  });
}

test('at α = 0 the sampled loss equals weightscape eval on the same data (clean and adversarial)', async () => {
  const backend = await selectBackend('wasm');
  const data = miniNpy(100);
  const attack = 'pgd:linf:eps=0.1:steps=3:step=0.04';
  const sweep = sampleLandscape({
    settings: settings({
      checkpoint: `${FIX}attacks/convnet-mini.pt`,
      data,
      alphas: [-0.5, 0, 0.5],
      loss: 'adversarial',
      attack,
    }),
    model: CONVNET,
    backend,
  });
  const evaluated = evaluateCheckpoint({
    checkpoint: `${FIX}attacks/convnet-mini.pt`,
    data: parseDataSpec(data),
    attack: parseAttack(attack),
    model: CONVNET,
    batchSize: 256,
    backend,
    seed: 0,
  });
  assert.ok(Math.abs(sweep.values.cleanLoss[0]![1]! - evaluated.splits.test!.clean.loss) < 1e-6);
  assert.ok(Math.abs(sweep.values.robustLoss![0]![1]! - evaluated.splits.test!.robust!.loss) < 1e-6);
  assert.equal(sweep.values.robustAccuracy![0]![1], evaluated.splits.test!.robust!.accuracy);
});

test('filter-normalized directions: ‖d_f‖ = ‖w_f‖ per filter to 1e-5; biases and BatchNorm 0 unless included', async () => {
  await selectBackend('wasm');
  const checkpoint = loadCheckpoint(`${FIX}models/preact-resnet18.pt`);
  const config = resolveModelConfig(checkpoint, { arch: 'preact-resnet18', options: { width: 4 } });
  const { weights } = checkpointToWeights(checkpoint, config);
  for (const includeBn of [false, true]) {
    const { direction } = buildDirection(
      { kind: 'filter' },
      { weights, config, batches: [], includeBn, seed: 3, adversarialLoss: false },
    );
    for (const [name, d] of Object.entries(direction)) {
      const w = weights.params[name]!;
      if (w.rank <= 1 && !includeBn) {
        assert.equal(
          tf.tidy(() => tf.max(tf.abs(d)).dataSync()[0]),
          0,
          `${name} should be 0`,
        );
        continue;
      }
      const dn = outputUnitNorms(d);
      const wn = outputUnitNorms(w);
      dn.forEach((v, i) =>
        assert.ok(Math.abs(v - wn[i]!) / wn[i]! < 1e-5, `${name} filter ${i}: ‖d‖ ${v} vs ‖w‖ ${wn[i]}`),
      );
    }
    tf.dispose(Object.values(direction));
  }
  disposeWeights(weights);
});

test('the top Hessian eigenvalue of softmax regression matches the exact Hessian within 1e-5', async () => {
  await selectBackend('wasm');
  const [n, dIn, k] = [40, 5, 3];
  const xs = Array.from({ length: n * dIn }, (_, i) => Math.sin(i * 1.3) + 0.5 * Math.cos(i * 0.7));
  const ys = Array.from({ length: n }, (_, i) => i % k);
  const w0 = Array.from({ length: dIn * k }, (_, i) => 0.3 * Math.sin(i + 1));
  // Exact Hessian of the mean cross-entropy in (W [dIn×k] row-major, then b [k]), in float64.
  const p = dIn + 1;
  const size = p * k;
  const H = Array.from({ length: size }, () => new Float64Array(size));
  const index = (feature: number, cls: number) => (feature < dIn ? feature * k + cls : dIn * k + cls);
  for (let i = 0; i < n; i++) {
    const features = [...xs.slice(i * dIn, (i + 1) * dIn), 1];
    const z = Array.from({ length: k }, (_, c) =>
      features.slice(0, dIn).reduce((a, f, j) => a + f * w0[j * k + c]!, 0),
    );
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const probs = e.map((v) => v / e.reduce((a, b) => a + b, 0));
    for (let a = 0; a < p; a++)
      for (let c = 0; c < k; c++)
        for (let b = 0; b < p; b++)
          for (let c2 = 0; c2 < k; c2++) {
            H[index(a, c)]![index(b, c2)]! +=
              (features[a]! * features[b]! * ((c === c2 ? probs[c]! : 0) - probs[c]! * probs[c2]!)) / n;
          }
  }
  // Its largest eigenvalue by power iteration in float64 to convergence (H is positive semidefinite).
  let v = Array.from({ length: size }, (_, i) => 1 + i / size);
  let exact = 0;
  for (let it = 0; it < 5000; it++) {
    const hv = H.map((row) => row.reduce((a, h, j) => a + h * v[j]!, 0));
    const norm = Math.sqrt(hv.reduce((a, x) => a + x * x, 0));
    exact = hv.reduce((a, x, j) => a + x * v[j]!, 0) / v.reduce((a, x) => a + x * x, 0);
    v = hv.map((x) => x / norm);
  }
  const { topHessianEigen } = await import('../../src/directions/hessian.ts');
  // Softmax regression is the mlp without hidden layers, on 1×1×dIn "images".
  const config = { arch: 'mlp', options: { hidden: [] }, input: { height: 1, width: 1, channels: dIn }, classes: k };
  const weights = { params: { 'fc1.weight': tf.tensor2d(w0, [dIn, k]), 'fc1.bias': tf.zeros([k]) }, state: {} };
  const batch = { x: tf.tensor4d(xs, [n, 1, 1, dIn]), labels: tf.tensor1d(ys, 'int32') };
  const before = tf.memory().numTensors;
  const result = topHessianEigen(config, weights, [batch], { seed: 1, maxIterations: 100, tolerance: 1e-6 });
  tf.dispose(Object.values(result.vector));
  assert.equal(tf.memory().numTensors, before);
  assert.ok(Math.abs(result.eigenvalue - exact) / exact < 1e-5, `Lanczos ${result.eigenvalue} vs exact ${exact}`);
  assert.ok(result.converged && result.residual <= 1e-6, `residual ${result.residual}`);
  tf.dispose([batch.x, batch.labels, ...Object.values(weights.params)]);
});

test('shards merged equal the unsharded sweep; a sweep stopped midway and resumed equals an uninterrupted one', async () => {
  const backend = await selectBackend('wasm');
  const s = settings({
    checkpoint: `${FIX}models/mlp.pt`,
    data: miniNpy(32),
    directions: ['filter', 'layer'],
    alphas: parseRange('-1:1:4'),
    betas: parseRange('-0.5:0.5:3'),
  });
  const model = { arch: 'mlp', options: { hidden: [32, 16] } };
  const whole = sampleLandscape({ settings: s, model, backend });
  const shards = [0, 1, 2].map((index) => sampleLandscape({ settings: s, model, backend, shard: { index, count: 3 } }));
  assert.ok(shards.every((r) => !r.complete));
  const merged = mergeLandscapes(shards, ['a', 'b', 'c']);
  assert.equal(merged.complete, true);
  assert.deepEqual(merged.values, whole.values);
  const out = join(dir, 'partial.json');
  const partial = sampleLandscape({ settings: s, model, backend, out, stopAfterPoints: 5 });
  assert.equal(partial.values.cleanLoss.flat().filter((v) => v !== null).length, 5);
  const resumed = sampleLandscape({
    settings: s,
    model,
    backend,
    out,
    resumeFrom: JSON.parse(readFileSync(out, 'utf8')),
  });
  assert.deepEqual(resumed.values, whole.values);
  assert.throws(
    () => sampleLandscape({ settings: { ...s, seed: 9 }, model, backend, resumeFrom: partial }),
    /the resumed result: not the same sweep as this run \(--resume\): settings\.seed differs \(0 vs 9\)/,
  );
});

test('tf.memory().numTensors is the same before and after a 100-point sweep', async () => {
  const backend: BackendInfo = await selectBackend('wasm');
  const s = settings({
    checkpoint: `${FIX}models/preact-resnet18.pt`,
    data: preactNpy(),
    alphas: parseRange('-1:1:100'),
    bn: 'recalibrate',
  });
  const before = tf.memory().numTensors;
  const result = sampleLandscape({ settings: s, model: { arch: 'preact-resnet18', options: { width: 4 } }, backend });
  assert.equal(result.complete, true);
  assert.equal(tf.memory().numTensors, before);
});

test('--workers 2 (worker threads, own WASM backends) gives the same sweep as one thread', async () => {
  const backend = await selectBackend('wasm');
  const { sampleInWorkers } = await import('../../src/landscape/parallel-sample.ts');
  const s = settings({
    checkpoint: `${FIX}models/mlp.pt`,
    data: miniNpy(32),
    alphas: parseRange('-1:1:5'),
    loss: 'adversarial',
    attack: 'fgsm:eps=0.1',
  });
  const model = { arch: 'mlp', options: { hidden: [32, 16] } };
  const single = sampleLandscape({ settings: s, model, backend });
  const out = join(dir, 'workers.json');
  const parallel = await sampleInWorkers({ settings: s, model, backend, out }, 2);
  assert.deepEqual(parallel.values, single.values);
  assert.equal(parallel.complete, true);
  assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')).values, single.values);
});
