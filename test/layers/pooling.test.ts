/**
 * maxPool and avgPool with stride and padding (PyTorch's max_pool2d, −∞ padding, and avg_pool2d
 * with count_include_pad) in the three contexts against PyTorch float64 (the 'pools' case of
 * fixtures/make_layer_fixtures.py: max 3/2/1, avg 3/1/1, max 3/1/0, avg 2/2/1, max 2 as
 * size/stride/padding): tfjs forward and gradients on wasm (weightscape's kernels) and cpu (tfjs's
 * own), TangentContext's H·v, and onnxruntime's graph, plain and blocked (NCHWc). Ties and windows
 * of negatives by the padding: activations-and-joins.test.ts ('kinks').
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { releaseBackend, selectBackend } from '../../src/backend/select-backend.ts';
import { probeNchwcBlock } from '../../src/onnx/nchwc-block.ts';
import { loadOnnxRuntime, type OnnxRuntime } from '../../src/onnx/onnx-runtime.ts';
import { assertMatchesPytorch, runOnnx, runTfjs } from '../helpers/layer-cases.ts';

let runtime: OnnxRuntime;
let block: number | undefined;

before(() => {
  const loaded = loadOnnxRuntime(1);
  assert.ok(typeof loaded !== 'string', `onnxruntime did not load: ${loaded}`);
  runtime = loaded;
  block = probeNchwcBlock(runtime);
});
after(async () => {
  await releaseBackend();
});

for (const backend of ['wasm', 'cpu'] as const) {
  test(`pools on tfjs ${backend}: output, gradients and TangentContext's H·v are PyTorch's`, async () => {
    await selectBackend(backend);
    assertMatchesPytorch('pools', runTfjs('pools'));
  });
}

test("pools on onnxruntime: output, the tape's gradients and H·v are PyTorch's, plain and blocked", (t) => {
  assertMatchesPytorch('pools', runOnnx(runtime, 'pools', undefined));
  if (block === undefined) return t.skip('onnxruntime has no NCHWc layout here');
  const blocked = runOnnx(runtime, 'pools', block);
  assertMatchesPytorch('pools', blocked);
  assert.ok(blocked.blockedConvolutions! > 0, 'no blocked convolution');
});
