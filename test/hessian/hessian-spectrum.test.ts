/**
 * The spectral numbers of real networks from exact products, against PyTorch's float64 Hessian
 * (fixtures/make_hessian_fixtures.py): the top eigenvalue of the mlp and of the width-4
 * PreActResNet-18 (BatchNorm eval) on both engines; on a 3,190-parameter mlp whose full Hessian
 * PyTorch diagonalized, Hutchinson's trace against the exact trace, the quadrature moments
 * against the exact spectral moments, and each tensor's block against its exact top eigenvalue
 * and trace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blockOperator } from '../../src/hessian/hessian-operator.ts';
import { hutchinsonTrace } from '../../src/hessian/hutchinson-trace.ts';
import { topEigenpairs } from '../../src/hessian/lanczos.ts';
import { modelHessianOperator } from '../../src/hessian/model-hessian-operator.ts';
import { quadratureMoment, spectralDensity } from '../../src/hessian/spectral-density.ts';
import { activeEngine, useEngine } from '../../src/models/engine-registry.ts';
import { tfjsEngine } from '../../src/models/tfjs-engine.ts';
import { useOnnxruntimeInThisFile } from '../helpers/engine.ts';
import { loadEigenFixtures, loadHvFixture, loadTinyMlp } from '../helpers/hessian-fixtures.ts';

useOnnxruntimeInThisFile();

// onnxruntime first; then the tfjs engine takes over for the rest of the file (a replaced engine is disposed).
for (const engine of ['onnxruntime', 'tfjs'] as const) {
  for (const model of ['mlp', 'preact-resnet18'] as const) {
    test(`${engine}: the top Hessian eigenvalue of ${model} (BatchNorm eval) is PyTorch's within 1e-3`, () => {
      if (engine === 'tfjs' && activeEngine().name !== 'tfjs') useEngine(tfjsEngine);
      assert.equal(activeEngine().name, engine);
      const expected = loadEigenFixtures()[model].eigenvalues[0]!.value;
      const f = loadHvFixture(model, 'eval');
      try {
        const op = modelHessianOperator(f.config, f.weights, [{ x: f.x, labels: f.labels }], { bn: 'eval' });
        const top = topEigenpairs(op, { k: 1, tolerance: 1e-4, maxIterations: 100, seed: 3 });
        const { value, converged, residual } = top.values[0]!;
        assert.ok(converged, `residual ${residual}`);
        assert.ok(Math.abs(value - expected) <= 1e-3 * expected, `${value} vs PyTorch ${expected}`);
      } finally {
        f.dispose();
      }
    });
  }
}

test("tiny mlp: Hutchinson's trace is within two standard errors of the exact trace", () => {
  const tiny = loadTinyMlp();
  try {
    const op = modelHessianOperator(tiny.config, tiny.weights, [{ x: tiny.x, labels: tiny.labels }], { bn: 'eval' });
    const trace = hutchinsonTrace(op, { probes: 100, seed: 5 });
    const exact = tiny.description.trace;
    assert.ok(
      Math.abs(trace.estimate - exact) <= 2 * trace.standardError,
      `${trace.estimate} ± ${trace.standardError} vs exact ${exact}`,
    );
    // A standard error that could hide anything would make the check empty.
    assert.ok(trace.standardError < 0.2 * exact, `standard error ${trace.standardError}`);
  } finally {
    tiny.dispose();
  }
});

test('tiny mlp: the quadrature moments (1/n)·tr(Hᵏ), k = 1, 2, 3, are the exact spectrum’s within 3 standard errors', () => {
  const tiny = loadTinyMlp();
  try {
    const op = modelHessianOperator(tiny.config, tiny.weights, [{ x: tiny.x, labels: tiny.labels }], { bn: 'eval' });
    const density = spectralDensity(op, { runs: 12, steps: 30, sigma: 0.01, points: 400, seed: 2 });
    const n = tiny.eigenvalues.length;
    for (const k of [1, 2, 3]) {
      const exact = tiny.eigenvalues.reduce((s, l) => s + l ** k, 0) / n;
      assert.ok(Math.abs(exact - tiny.description.moments[k]!) <= 1e-9 * Math.abs(exact) + 1e-15);
      const perRun = density.runs.map((run) => quadratureMoment([run], k));
      const mean = quadratureMoment(density.runs, k);
      const sd = Math.sqrt(perRun.reduce((s, m) => s + (m - mean) ** 2, 0) / (perRun.length - 1));
      const standardError = sd / Math.sqrt(perRun.length);
      assert.ok(Math.abs(mean - exact) <= 3 * standardError, `k=${k}: ${mean} ± ${standardError} vs exact ${exact}`);
      assert.ok(standardError < 0.25 * Math.abs(exact), `k=${k}: standard error ${standardError} of ${exact}`);
    }
    // The largest Ritz value of a 30-step run is the top eigenvalue (an outlier converges first).
    const largest = Math.max(...density.runs.flatMap((r) => r.nodes));
    assert.ok(Math.abs(largest - tiny.description.top[0]!) <= 1e-3 * tiny.description.top[0]!, `${largest}`);
  } finally {
    tiny.dispose();
  }
});

test("tiny mlp: each tensor's Hessian block has PyTorch's top eigenvalue (1e-3) and trace (3 standard errors)", () => {
  const tiny = loadTinyMlp();
  try {
    const op = modelHessianOperator(tiny.config, tiny.weights, [{ x: tiny.x, labels: tiny.labels }], { bn: 'eval' });
    for (const expected of tiny.description.perLayer) {
      const block = op.blocks.find((b) => b.name === expected.name)!;
      assert.equal(block.length, expected.parameters, expected.name);
      const blockOp = blockOperator(op, block);
      const top = topEigenpairs(blockOp, { k: 1, tolerance: 1e-4, maxIterations: 100, seed: 1 }).values[0]!;
      assert.ok(
        Math.abs(top.value - expected.topEigenvalue) <= 1e-3 * expected.topEigenvalue,
        `${expected.name}: ${top.value} vs ${expected.topEigenvalue}`,
      );
      const trace = hutchinsonTrace(blockOp, { probes: 50, seed: 1 });
      assert.ok(
        Math.abs(trace.estimate - expected.trace) <= 3 * trace.standardError + 1e-6 * expected.trace,
        `${expected.name}: trace ${trace.estimate} ± ${trace.standardError} vs ${expected.trace}`,
      );
    }
  } finally {
    tiny.dispose();
  }
});
