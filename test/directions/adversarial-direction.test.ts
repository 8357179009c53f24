/**
 * The adversarial (AWP) direction on the onnxruntime engine: its proxy step takes the engine's
 * training gradient (never the tfjs forward), and the direction equals the tfjs engine's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { adversarialDirection } from '../../src/directions/adversarial-direction.ts';
import { useEngine } from '../../src/models/engine-registry.ts';
import type { Engine } from '../../src/models/model-function.ts';
import { tfjsEngine } from '../../src/models/tfjs-engine.ts';
import type { TensorMap } from '../../src/models/types.ts';
import { countingEngine, ownOnnxEngineInThisFile, useUndisposed } from '../helpers/engine.ts';
import { loadFixtureModel } from '../helpers/fixtures.ts';
import { l2RelativeError } from '../helpers/reference-ops.ts';

const own = ownOnnxEngineInThisFile();

const inUse = useUndisposed;
const nativeOnly = (counter: { calls: number }) => countingEngine(own.engine(), 'trainingGradients', counter);

for (const name of ['preact-resnet18', 'wide-resnet', 'convnet-mnist']) {
  test(`${name}: the adversarial direction on onnxruntime (its training gradients, never the tfjs forward) equals tfjs's to 5e-5 per tensor`, () => {
    const f = loadFixtureModel(name);
    const direction = (engine: Engine, steps: number): TensorMap => {
      useEngine(engine);
      return adversarialDirection(f.weights, f.config, f.x, f.labels, { steps });
    };
    const before = tf.memory().numTensors;
    for (const steps of [1, 2]) {
      const counter = { calls: 0 };
      const want = direction(inUse(tfjsEngine), steps);
      const got = direction(nativeOnly(counter), steps);
      assert.equal(counter.calls, steps, 'one engine training gradient per proxy step');
      assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort());
      let nonzero = 0;
      for (const [param, d] of Object.entries(want)) {
        const values = d.dataSync();
        if (values.every((v) => v === 0)) {
          assert.ok(
            got[param]!.dataSync().every((v) => v === 0),
            `${param}: zero on tfjs, not on onnxruntime`,
          );
          continue;
        }
        nonzero++;
        // The engines' gradients differ by ≤ 5e-6 relative; the proxy's Δ = (θ + 0.01g) − θ cancels in
        // float32 and magnifies that ~10× (seen: ≤ 2.5e-5), while a wrong gradient is off by O(1).
        const error = l2RelativeError(got[param]!.dataSync(), values);
        assert.ok(error < 5e-5, `${param}, ${steps} step(s): ‖Δ‖/‖d‖ = ${error}`);
      }
      assert.ok(nonzero > 0, 'the direction is not all zero');
      tf.dispose([...Object.values(got), ...Object.values(want)]);
    }
    assert.equal(tf.memory().numTensors, before, 'the direction leaked tensors');
    f.dispose();
  });
}
