/**
 * Exact Hessian-vector products on both engines against PyTorch's double backward in float64
 * (fixtures/make_hessian_fixtures.py): onnxruntime's forward-over-reverse graph and tfjs's
 * reverse-over-forward pass, BatchNorm in eval and train mode. Also the Hessian's symmetry, the
 * tensors a product leaves behind, and the refusal of an operator without a tangent rule.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { activeEngine, modelFunction } from '../../src/models/engine-registry.ts';
import type { ModelFunction } from '../../src/models/model-function.ts';
import { tfjsModelFunction } from '../../src/models/tfjs-engine.ts';
import type { TensorMap } from '../../src/models/types.ts';
import { forwardTangents } from '../../src/onnx/forward-tangents.ts';
import { GraphBuilder } from '../../src/onnx/graph-builder.ts';
import { useOnnxruntimeInThisFile } from '../helpers/engine.ts';
import { HV_FIXTURES, loadHvFixture, type HvFixture } from '../helpers/hessian-fixtures.ts';
import { l2RelativeError } from '../helpers/reference-ops.ts';

useOnnxruntimeInThisFile();

type Engine = 'onnxruntime' | 'tfjs';
const ENGINES: Engine[] = ['onnxruntime', 'tfjs'];

function boundModel(engine: Engine, f: HvFixture, seed = 0): ModelFunction {
  const options = { training: f.training, seed };
  return engine === 'tfjs'
    ? tfjsModelFunction(f.config, f.weights, options)
    : modelFunction(f.config, f.weights, options);
}

const flat = (m: TensorMap, names: string[]) => Float32Array.from(names.flatMap((n) => Array.from(m[n]!.dataSync())));
const dot = (a: TensorMap, b: TensorMap) =>
  Object.keys(a).reduce((s, n) => s + tf.tidy(() => tf.sum(tf.mul(a[n]!, b[n]!)).dataSync()[0]!), 0);

for (const engine of ENGINES) {
  for (const { model, bn } of HV_FIXTURES) {
    test(`${engine}: H·v of ${model} (BatchNorm ${bn}) is PyTorch's double backward within 1e-4`, () => {
      assert.equal(activeEngine().name, 'onnxruntime');
      const f = loadHvFixture(model, bn);
      try {
        const hv = boundModel(engine, f).hessianVectorProduct(f.x, f.labels, f.v);
        const names = Object.keys(f.expectedHv);
        const error = l2RelativeError(flat(hv, names), flat(f.expectedHv, names));
        assert.ok(error <= 1e-4, `relative error ${error}`);
        // Every tensor, not only the whole: a block wrong on its own would hide in the total.
        for (const name of names) {
          const own = l2RelativeError(hv[name]!.dataSync(), f.expectedHv[name]!.dataSync());
          const scale = Math.sqrt(dot({ n: f.expectedHv[name]! }, { n: f.expectedHv[name]! }));
          if (scale > 1e-3) assert.ok(own <= 1e-3, `${name}: relative error ${own}`);
        }
        tf.dispose(Object.values(hv));
      } finally {
        f.dispose();
      }
    });
  }
}

test('the products are symmetric (u·Hv = v·Hu) on both engines, BatchNorm in train mode', () => {
  const f = loadHvFixture('preact-resnet18', 'train');
  try {
    const u = tf.tidy(() => Object.fromEntries(Object.entries(f.v).map(([n, t]) => [n, tf.cos(tf.mul(t, 3))])));
    for (const engine of ENGINES) {
      const m = boundModel(engine, f);
      const [hv, hu] = [m.hessianVectorProduct(f.x, f.labels, f.v), m.hessianVectorProduct(f.x, f.labels, u)];
      const [uHv, vHu] = [dot(u, hv), dot(f.v, hu)];
      assert.ok(Math.abs(uHv - vHu) <= 1e-4 * Math.abs(uHv), `${engine}: u·Hv ${uHv}, v·Hu ${vHu}`);
      tf.dispose([...Object.values(hv), ...Object.values(hu)]);
    }
    tf.dispose(Object.values(u));
  } finally {
    f.dispose();
  }
});

test('repeated products leave no tensors behind on either engine', () => {
  const f = loadHvFixture('convnet-mnist', 'eval');
  try {
    for (const engine of ENGINES) {
      const m = boundModel(engine, f);
      tf.dispose(Object.values(m.hessianVectorProduct(f.x, f.labels, f.v)));
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) tf.dispose(Object.values(m.hessianVectorProduct(f.x, f.labels, f.v)));
      assert.equal(tf.memory().numTensors, before, engine);
    }
  } finally {
    f.dispose();
  }
});

test('an operator without a tangent rule is refused by name, not skipped', () => {
  const b = new GraphBuilder();
  const x = b.input('x', [2]);
  const y = b.node('Exp', [x], {}, [2]);
  assert.throws(
    () => forwardTangents(b, new Map([['x', b.input('dx', [2])]]), [y.name]),
    /no tangent rule for ai\.onnx\.Exp/,
  );
});
