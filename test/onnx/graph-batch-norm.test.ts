/**
 * graph-batch-norm.ts: one backward pass for both layouts. ∂x, ∂γ and ∂β of Σ y·w, run in
 * onnxruntime with x plain and blocked (NCHWc), against the closed form in float64.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { GradientTape } from '../../src/onnx/gradient-tape.ts';
import { batchNormLayer } from '../../src/onnx/graph-batch-norm.ts';
import { GraphBuilder } from '../../src/onnx/graph-builder.ts';
import { probeNchwcBlock } from '../../src/onnx/nchwc-block.ts';
import { NchwcLayout } from '../../src/onnx/nchwc-layout.ts';
import { encodeModel } from '../../src/onnx/onnx-model.ts';
import { loadOnnxRuntime, type OnnxRuntime } from '../../src/onnx/onnx-runtime.ts';

let runtime: OnnxRuntime;
let block: number | undefined;

before(() => {
  const loaded = loadOnnxRuntime(1);
  assert.ok(typeof loaded !== 'string', `onnxruntime did not load: ${loaded}`);
  runtime = loaded;
  block = probeNchwcBlock(runtime);
});

const EPS = 1e-5;
const value = (i: number, scale: number) => scale * Math.sin(1.7 * i + 0.3);

/** The graph's ∂x, ∂γ, ∂β of Σ y·w for a [2, C, 3, 3] x in the given layout. */
function runGraph(
  channels: number,
  training: boolean,
  nchwcBlock: number | undefined,
  feeds: Record<string, Float32Array>,
) {
  const shape = [2, channels, 3, 3];
  const b = new GraphBuilder();
  const x = b.input('x', shape);
  const w = b.input('w', shape);
  const tensors = Object.fromEntries(
    ['weight', 'bias', 'running_mean', 'running_var'].map((n) => [`bn.${n}`, b.input(n, [channels])]),
  );
  const layout = new NchwcLayout(b, nchwcBlock);
  const tape = new GradientTape(layout);
  const input = nchwcBlock === undefined ? x : layout.toBlocked(x);
  const [gamma, beta] = [tensors['bn.weight']!, tensors['bn.bias']!];
  tape.differentiate([input, gamma, beta]);
  const y = batchNormLayer(
    { b, layout, tape, training, tensor: (name) => tensors[name]!, recordStatistics: () => {} },
    'bn',
    input,
  );
  assert.equal(layout.isBlocked(y), nchwcBlock !== undefined, "BatchNorm keeps its input's layout");
  const [dx, dGamma, dBeta] = tape.gradients(y, layout.as(w, y), [input, gamma, beta]);
  b.output(layout.plain(dx!), 'dx');
  b.output(dGamma!, 'dgamma');
  b.output(dBeta!, 'dbeta');
  const session = runtime.session(encodeModel(b.build(), 'bn'));
  try {
    const dims = (name: string) => (name === 'x' || name === 'w' ? shape : [channels]);
    return session.run(Object.fromEntries(Object.entries(feeds).map(([k, data]) => [k, { data, dims: dims(k) }])), [
      'dx',
      'dgamma',
      'dbeta',
    ]);
  } finally {
    session.dispose();
  }
}

/** The closed form: x̂ = (x − μ)/σ, ∂β = Σw, ∂γ = Σw·x̂, ∂x = γ/σ·w (eval) or γ/σ·(w − mean(w) − x̂·mean(w·x̂)). */
function closedForm(channels: number, training: boolean, f: Record<string, Float32Array>) {
  const perChannel = 18;
  const at = (c: number, k: number) => Math.floor(k / 9) * channels * 9 + c * 9 + (k % 9);
  const dx = new Float64Array(2 * channels * 9);
  const dGamma = new Float64Array(channels);
  const dBeta = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const xs = Array.from({ length: perChannel }, (_, k) => f.x![at(c, k)]!);
    const ws = Array.from({ length: perChannel }, (_, k) => f.w![at(c, k)]!);
    const mean = training ? xs.reduce((a, v) => a + v, 0) / perChannel : f.running_mean![c]!;
    const variance = training ? xs.reduce((a, v) => a + (v - mean) ** 2, 0) / perChannel : f.running_var![c]!;
    const sigma = Math.sqrt(variance + EPS);
    const xHat = xs.map((v) => (v - mean) / sigma);
    dBeta[c] = ws.reduce((a, v) => a + v, 0);
    dGamma[c] = ws.reduce((a, v, k) => a + v * xHat[k]!, 0);
    const s = f.weight![c]! / sigma;
    for (let k = 0; k < perChannel; k++) {
      dx[at(c, k)] = training
        ? s * (ws[k]! - dBeta[c]! / perChannel - (xHat[k]! * dGamma[c]!) / perChannel)
        : s * ws[k]!;
    }
  }
  return { dx, dgamma: dGamma, dbeta: dBeta };
}

for (const training of [false, true]) {
  for (const blocked of [false, true]) {
    test(`BatchNorm backward (${training ? 'batch' : 'running'} statistics, ${blocked ? 'blocked NCHWc' : 'NCHW'}) matches the closed form`, (t) => {
      if (blocked && block === undefined) return t.skip('onnxruntime has no NCHWc layout here');
      const channels = block ?? 8;
      const size = 2 * channels * 9;
      const feeds: Record<string, Float32Array> = {
        x: Float32Array.from({ length: size }, (_, i) => value(i, 2) + 0.5),
        w: Float32Array.from({ length: size }, (_, i) => value(3 * i + 1, 1)),
        weight: Float32Array.from({ length: channels }, (_, c) => 0.5 + 0.1 * c),
        bias: Float32Array.from({ length: channels }, (_, c) => value(c, 0.3)),
        running_mean: Float32Array.from({ length: channels }, (_, c) => value(c + 5, 0.2)),
        running_var: Float32Array.from({ length: channels }, (_, c) => 0.5 + 0.05 * c),
      };
      const got = runGraph(channels, training, blocked ? block : undefined, feeds);
      const want = closedForm(channels, training, feeds);
      for (const name of ['dx', 'dgamma', 'dbeta'] as const) {
        const scale = Math.max(...want[name].map(Math.abs));
        const error = Math.max(...want[name].map((v, i) => Math.abs(v - got[name]![i]!)));
        assert.ok(error / scale < 1e-5, `${name}: max |error| ${error} of max |value| ${scale}`);
      }
    });
  }
}
