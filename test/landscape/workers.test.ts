import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { releaseBackend } from '../../src/backend/select-backend.ts';
import { releaseEngine } from '../../src/models/engine-registry.ts';
import { parseRange } from '../../src/landscape/grid.ts';
import { capWorkers, sampleInWorkers } from '../../src/landscape/parallel-sample.ts';
import { sampleLandscape } from '../../src/landscape/sample-landscape.ts';
import { selectBackendAndEngine } from '../helpers/engine.ts';
import { writePreactNpy } from '../helpers/preact-inputs.ts';
import { parsedSettings } from '../helpers/sweep-settings.ts';

// The threaded WASM build keeps the process alive until released.
after(async () => {
  releaseEngine();
  await releaseBackend();
});

const CHECKPOINT = fileURLToPath(new URL('../../fixtures/models/convnet-mnist.safetensors', import.meta.url));

test('workers are capped at the points still to compute and at 2 per CPU, with a note saying which', () => {
  assert.deepEqual(capWorkers(2, 10, 2), { count: 2 });
  const byPoints = capWorkers(1000, 3, 8);
  assert.equal(byPoints.count, 3);
  assert.match(byPoints.note!, /--workers 1000: starting 3 \(3 points still to compute\)/);
  const byCpus = capWorkers(1000, 21, 2);
  assert.equal(byCpus.count, 4);
  assert.match(byCpus.note!, /at most 2 per CPU \(2 CPUs\)/);
  assert.equal(capWorkers(8, 0, 4).count, 1);
});

test("with onnxruntime on, --workers gives exactly the plain sweep's adversarial losses (same engine in the workers)", async (t) => {
  const backend = await selectBackendAndEngine('wasm', { wasmThreads: 2, onnxruntime: true });
  if (backend.onnxruntime === undefined) {
    t.skip(`onnxruntime not available: ${backend.onnxruntimeOff}`);
    return;
  }
  const settings = parsedSettings({
    checkpoint: CHECKPOINT,
    data: 'mini',
    split: 'test',
    subset: 32,
    batchSize: 32,
    loss: 'adversarial',
    attack: 'pgd:linf:eps=0.1:steps=3',
    fixedExamples: false,
    bn: 'eval',
    recalibrationBatches: 1,
    directions: ['filter'],
    includeBn: false,
    alphas: parseRange('-1:1:3'),
    betas: null,
    seed: 0,
  });
  const single = sampleLandscape({ settings, model: {}, backend });
  const notes: string[] = [];
  // 1000 asked, 3 points: 3 workers start (today: 1000 threads).
  const parallel = await sampleInWorkers({ settings, model: {}, backend, onNote: (n) => notes.push(n) }, 1000);
  assert.deepEqual(parallel.values.robustLoss, single.values.robustLoss);
  assert.deepEqual(parallel.values, single.values);
  assert.equal(parallel.workers!.count, 3);
  assert.deepEqual(parallel.workers!.backend.onnxruntime, { version: backend.onnxruntime.version, threads: 1 });
  assert.match(notes.join('\n'), /starting 3/);
});

test("with onnxruntime on, workers give the plain sweep's numbers for BatchNorm recalibration and the adversarial direction", async (t) => {
  const backend = await selectBackendAndEngine('wasm', { wasmThreads: 2, onnxruntime: true });
  if (backend.onnxruntime === undefined) {
    t.skip(`onnxruntime not available: ${backend.onnxruntimeOff}`);
    return;
  }
  const fixtures = fileURLToPath(new URL('../../fixtures/', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'weightscape-workers-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const settings = parsedSettings({
    checkpoint: `${fixtures}models/preact-resnet18.pt`,
    data: writePreactNpy(dir),
    split: 'test',
    subset: null,
    batchSize: 32,
    loss: 'clean',
    attack: 'pgd:linf:eps=0.03:steps=2',
    fixedExamples: false,
    bn: 'recalibrate',
    recalibrationBatches: 2,
    directions: ['adversarial'],
    includeBn: false,
    alphas: parseRange('-0.5:0.5:3'),
    betas: null,
    seed: 0,
  });
  const model = { arch: 'preact-resnet18', options: { width: 4 } };
  const single = sampleLandscape({ settings, model, backend });
  const parallel = await sampleInWorkers({ settings, model, backend }, 2);
  assert.deepEqual(parallel.values, single.values);
  assert.deepEqual(parallel.workers!.backend.onnxruntime, { version: backend.onnxruntime.version, threads: 1 });
});
