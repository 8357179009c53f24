/**
 * BatchNorm recalibration and the adversarial direction on the onnxruntime engine: the
 * recalibrated state comes from the engine's training forward (never tfjs's) and equals the tfjs
 * engine's, and landscapes using either give the same numbers on both engines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { parseRange } from '../../src/landscape/grid.ts';
import { recalibratedState } from '../../src/landscape/point-inputs.ts';
import { sampleLandscape, type LandscapeSettings } from '../../src/landscape/sample-landscape.ts';
import { useEngine } from '../../src/models/engine-registry.ts';
import type { Engine } from '../../src/models/model-function.ts';
import { tfjsEngine } from '../../src/models/tfjs-engine.ts';
import type { TensorMap } from '../../src/models/types.ts';
import { countingEngine, ownOnnxEngineInThisFile, useUndisposed } from '../helpers/engine.ts';
import { loadFixtureModel, maxAbsDifference } from '../helpers/fixtures.ts';
import { preactImages, writePreactNpy } from '../helpers/preact-inputs.ts';
import { parsedSettings } from '../helpers/sweep-settings.ts';

const FIX = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'weightscape-engines-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const own = ownOnnxEngineInThisFile();

const inUse = useUndisposed;
const nativeOnly = (counter: { calls: number }) => countingEngine(own.engine(), 'cumulativeBatchNormState', counter);

for (const name of ['preact-resnet18', 'wide-resnet']) {
  test(`${name}: BatchNorm recalibration on onnxruntime (its forward, never tfjs's) equals tfjs's to 1e-5`, () => {
    const f = loadFixtureModel(name);
    const data = preactImages();
    // Batches of 24, 24 and 16: two graph batch sizes, three cumulative counts.
    const recalibrate = (engine: Engine): TensorMap => {
      useEngine(engine);
      return recalibratedState(f.weights.params, f.weights.state, f.config, data, 24, 3);
    };
    const before = tf.memory().numTensors;
    const counter = { calls: 0 };
    const want = recalibrate(inUse(tfjsEngine));
    const got = recalibrate(nativeOnly(counter));
    assert.equal(counter.calls, 3, 'one engine recalibration step per batch');
    assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort());
    let moved = 0;
    for (const [key, t] of Object.entries(want)) {
      const error = maxAbsDifference(got[key]!.dataSync(), t.dataSync());
      assert.ok(error < 1e-5, `${key}: max abs difference ${error}`);
      if (maxAbsDifference(t.dataSync(), f.weights.state[key]!.dataSync()) > 1e-3) moved++;
    }
    const tracked = Object.keys(want).filter((k) => k.endsWith('num_batches_tracked'));
    for (const key of tracked)
      assert.equal(got[key]!.dataSync()[0], f.weights.state[key]!.dataSync()[0]! + 3, `${key} counts the batches`);
    assert.ok(moved > 0, 'recalibration changed the running statistics');
    tf.dispose([...Object.values(got), ...Object.values(want)]);
    assert.equal(tf.memory().numTensors, before, 'recalibration leaked tensors');
    f.dispose();
  });
}

const PREACT = { arch: 'preact-resnet18', options: { width: 4 } };
const CONVNET = { arch: 'convnet', options: { width: 8, hidden: 32, dropout: 0 } };

for (const [title, model, overrides] of [
  ['preact-resnet18, --bn recalibrate', PREACT, { bn: 'recalibrate', recalibrationBatches: 2 }],
  // Without BatchNorm: with it, the engines' training gradients can part at ties (see the report of issue 19).
  [
    'convnet, --direction adversarial, adversarial loss',
    CONVNET,
    {
      checkpoint: `${FIX}attacks/convnet-mini.pt`,
      data: 'mini',
      subset: 64,
      directions: ['adversarial'],
      loss: 'adversarial',
    },
  ],
] as const) {
  test(`${title}: the landscape's values are the same on onnxruntime as on tfjs (1e-5 relative)`, () => {
    const base: LandscapeSettings = {
      checkpoint: `${FIX}models/preact-resnet18.pt`,
      data: writePreactNpy(dir),
      split: 'test',
      subset: null,
      batchSize: 32,
      loss: 'clean',
      // L2 steps move continuously with the gradient (an L∞ step's sign flips where it is ~0).
      attack: 'pgd:l2:eps=0.5:steps=2',
      fixedExamples: false,
      bn: 'eval',
      recalibrationBatches: 1,
      directions: ['filter'],
      includeBn: false,
      alphas: parseRange('-0.5:0.5:3'),
      betas: null,
      seed: 0,
    };
    const settings = parsedSettings({
      ...base,
      ...overrides,
      directions: [...(overrides.directions ?? base.directions)],
    });
    const sweep = (engine: Engine) => {
      useEngine(engine);
      return sampleLandscape({ settings, model, backend: own.backend() }).values;
    };
    const want = sweep(inUse(tfjsEngine));
    const got = sweep(inUse(own.engine()));
    for (const key of ['cleanLoss', 'robustLoss'] as const) {
      const [a, b] = [want[key], got[key]].map((v) => (v ?? []).flat() as number[]);
      assert.equal(a!.length, key === 'cleanLoss' || 'loss' in overrides ? 3 : 0, key);
      a!.forEach((v, i) => assert.ok(Math.abs(b![i]! - v) <= 1e-5 * Math.abs(v), `${key}[${i}]: ${b![i]} vs ${v}`));
    }
    assert.deepEqual(got.cleanAccuracy, want.cleanAccuracy);
  });
}
