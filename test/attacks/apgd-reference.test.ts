/**
 * APGD-CE, APGD-DLR and APGD-T against the PyTorch reference (fixtures/make_apgd_fixtures.py,
 * written from Croce & Hein's Algorithm 1 and checked value for value against the public
 * implementation), both started from the same stored points, on the convnet-mini and narrow
 * PreActResNet-18 fixtures, on onnxruntime and on the tfjs engine.
 *
 * What must agree: every run attacks the same examples, the same examples are fooled (so the
 * robust accuracy is equal), the starting losses (1e-4), and the loss at every iteration for the
 * median example and for at least half of the examples (1e-3). Not every trajectory can agree to
 * the end: sign(∇) of a float32 gradient flips where a component is near zero, and from then on
 * the example follows another path; the reference itself, rerun in float64, splits from its
 * float32 run the same way on 10–67% of the convnet examples.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { parseAttack, type ApgdSpec, type ApgdTargetedSpec } from '../../src/attacks/attack-spec.ts';
import { apgdAttack, type ApgdRunTrace } from '../../src/attacks/apgd.ts';
import { loadCheckpoint } from '../../src/checkpoints/load-checkpoint.ts';
import { modelFunction } from '../../src/models/engine-registry.ts';
import { crossEntropyPerExample } from '../../src/models/loss.ts';
import type { ModelConfig, ModelWeights } from '../../src/models/types.ts';
import { selectBackendAndEngine } from '../helpers/engine.ts';
import { convnetMini, miniTest } from '../helpers/convnet-mini.ts';
import { loadFixtureModel } from '../helpers/fixtures.ts';
import { preactImages } from '../helpers/preact-inputs.ts';

const DIR = fileURLToPath(new URL('../../fixtures/attacks/', import.meta.url));

interface ReferenceRun {
  restart: number;
  targetRank: number | null;
  examples: number[];
  initialLoss: number[];
  lossSteps: number[][];
}

interface ReferenceCase {
  model: 'convnet-mini' | 'preact-resnet18';
  attack: string;
  startName: string;
  labels: number[];
  runs: ReferenceRun[];
  fooled: boolean[];
  robustAccuracy: number;
  advCrossEntropy: number[];
}

const reference = JSON.parse(readFileSync(`${DIR}apgd-reference.json`, 'utf8')) as { cases: ReferenceCase[] };

/** The two models and their inputs, as the reference script builds them. */
function fixtureModels() {
  const convnet = convnetMini();
  const mini = miniTest(0, 100);
  const preact = loadFixtureModel('preact-resnet18');
  const inputs = preactImages();
  const models: Record<ReferenceCase['model'], { config: ModelConfig; weights: ModelWeights; x: tf.Tensor4D }> = {
    'convnet-mini': { config: convnet.config, weights: convnet.weights, x: tf.tensor4d(mini.images, mini.shape) },
    'preact-resnet18': {
      config: preact.config,
      weights: preact.weights,
      x: tf.tensor4d(inputs.images.subarray(0, 32 * 32 * 32 * 3), [32, 32, 32, 3]),
    },
  };
  return {
    models,
    dispose: () => {
      convnet.dispose();
      tf.dispose([models['convnet-mini'].x, models['preact-resnet18'].x]);
      preact.dispose();
    },
  };
}

const starts = loadCheckpoint(`${DIR}apgd-starts.safetensors`).tensors;
const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));
const median = (values: number[]) => values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

for (const onnxruntime of [true, false]) {
  const engine = onnxruntime ? 'onnxruntime' : 'tfjs (wasm)';
  test(`APGD on ${engine}: same runs, same fooled examples and losses per iteration as the PyTorch reference`, async () => {
    const info = await selectBackendAndEngine('wasm', { onnxruntime });
    assert.equal(info.onnxruntime !== undefined, onnxruntime, info.onnxruntimeOff);
    const { models, dispose } = fixtureModels();
    // tfjs, the slower engine, runs one case of each kind: untargeted CE (L∞), APGD-T, DLR with restarts (L2).
    const cases = onnxruntime ? reference.cases : reference.cases.filter((_, i) => [0, 2, 4, 8].includes(i));
    for (const c of cases) {
      const { config, weights, x } = models[c.model];
      const model = modelFunction(config, weights, { training: false });
      const labels = tf.tensor1d(c.labels, 'int32');
      const stored = starts.get(c.startName)!;
      const start = tf.tensor4d(stored.values as Float32Array, x.shape);
      const before = tf.memory().numTensors;
      const trace: ApgdRunTrace[] = [];
      const spec = parseAttack(c.attack) as ApgdSpec | ApgdTargetedSpec;
      const { xAdv, fooled } = apgdAttack(model, x, labels, spec, 0, { start, trace });
      const label = `${c.model} ${c.attack}`;
      assert.deepEqual(fooled, c.fooled, `${label}: fooled examples`);
      const robust = c.labels.filter((_, i) => !fooled[i] && c.runs.some((r) => r.examples.includes(i))).length;
      assert.equal(robust / c.labels.length, c.robustAccuracy, `${label}: robust accuracy`);
      assert.equal(trace.length, c.runs.length, `${label}: runs`);
      let agreeing = 0;
      let examples = 0;
      trace.forEach((run, r) => {
        const want = c.runs[r]!;
        assert.deepEqual(run.examples, want.examples, `${label} run ${r}: examples`);
        assert.equal(run.targetRank, want.targetRank);
        run.initialLoss.forEach((v, j) =>
          assert.ok(
            relative(v, want.initialLoss[j]!) < 1e-4,
            `${label} run ${r}: initial loss ${v} vs ${want.initialLoss[j]}`,
          ),
        );
        run.lossSteps.forEach((row, i) => {
          const errors = row.map((v, j) => relative(v, want.lossSteps[i]![j]!));
          assert.ok(median(errors) < 1e-3, `${label} run ${r} iteration ${i}: median relative error ${median(errors)}`);
        });
        for (let j = 0; j < run.examples.length; j++, examples++)
          if (run.lossSteps.every((row, i) => relative(row[j]!, want.lossSteps[i]![j]!) < 1e-3)) agreeing++;
      });
      assert.ok(agreeing >= examples / 2, `${label}: ${agreeing} of ${examples} trajectories agree throughout`);
      const crossEntropy = tf.tidy(() => crossEntropyPerExample(model.logits(xAdv), labels).dataSync());
      if (spec.kind === 'apgd' && spec.loss === 'ce') {
        const mean = (v: ArrayLike<number>) => Array.from(v).reduce((a, b) => a + b, 0) / v.length;
        const [got, want] = [mean(crossEntropy), mean(c.advCrossEntropy)];
        assert.ok(
          Math.abs(got - want) / want < 1e-3,
          `${label}: cross-entropy at the adversarial examples ${got} vs ${want}`,
        );
      }
      xAdv.dispose();
      assert.equal(tf.memory().numTensors, before, `${label}: leaked tensors`);
      tf.dispose([labels, start]);
    }
    dispose();
  });
}
