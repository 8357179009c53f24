/**
 * linear without bias, globalAvgPool, leakyRelu, clip, sigmoid, mul (same shape and a per-channel
 * gate), concat, and the kinks (ReLU, ReLU6 and leaky ReLU exactly at 0 and 6, max-pooling windows
 * with ties and all-negative windows by the padding) in the three contexts against PyTorch float64
 * (fixtures/make_layer_fixtures.py): tfjs forward and gradients on wasm and cpu, TangentContext's
 * H·v, and onnxruntime's graph plain and blocked (NCHWc).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { releaseBackend, selectBackend } from '../../src/backend/select-backend.ts';
import { probeNchwcBlock } from '../../src/onnx/nchwc-block.ts';
import { loadOnnxRuntime, type OnnxRuntime } from '../../src/onnx/onnx-runtime.ts';
import { assertMatchesPytorch, runOnnx, runTfjs, type LayerCaseName } from '../helpers/layer-cases.ts';

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

const CASES: LayerCaseName[] = ['heads', 'activations', 'se-concat', 'kinks'];

for (const name of CASES) {
  for (const backend of ['wasm', 'cpu'] as const) {
    test(`${name} on tfjs ${backend}: output, gradients and TangentContext's H·v are PyTorch's`, async () => {
      await selectBackend(backend);
      assertMatchesPytorch(name, runTfjs(name));
    });
  }

  test(`${name} on onnxruntime: output, the tape's gradients and H·v are PyTorch's, plain and blocked`, (t) => {
    assertMatchesPytorch(name, runOnnx(runtime, name, undefined));
    if (block === undefined) return t.skip('onnxruntime has no NCHWc layout here');
    const blocked = runOnnx(runtime, name, block);
    assertMatchesPytorch(name, blocked);
    // The kinks' 1×1 identity has 2 channels, too few to block.
    if (name !== 'kinks') assert.ok(blocked.blockedConvolutions! > 0, 'no blocked convolution');
  });
}
