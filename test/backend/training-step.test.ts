import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/select-backend.ts';
import {
  crossEntropy,
  initSmallCnn,
  smallCnnLogits,
  smallCnnParamShapes,
  BN_EPSILON,
  type SmallCnnShape,
} from '../helpers/small-cnn.ts';
import * as ref from '../helpers/reference-ops.ts';

const SHAPE: SmallCnnShape = { inputSize: 8, inChannels: 3, width: 3, classes: 4 };
const BATCH = 3;
const LABELS = [2, 0, 3];

/** The same network in float64 JavaScript: the loss at flat parameter arrays. */
function referenceLoss(params: Record<string, Float64Array>, x: Float64Array): number {
  const shapes = smallCnnParamShapes(SHAPE);
  const torchPad = { top: 1, bottom: 1, left: 1, right: 1 };
  const none = { top: 0, bottom: 0, left: 0, right: 0 };
  const conv = (input: ref.Array4, name: string, stride: number) =>
    ref.conv2d(
      input,
      { shape: shapes[name] as [number, number, number, number], data: params[name]! },
      [stride, stride],
      shapes[name]![0] === 1 ? none : torchPad,
    );
  const bn = (input: ref.Array4, prefix: string): ref.Array4 => {
    const channels = input.shape[3];
    const { mean, variance } = ref.channelMoments(input.data, channels);
    return {
      shape: input.shape,
      data: ref.batchNorm(
        input.data,
        channels,
        mean,
        variance,
        params[`${prefix}.bias`]!,
        params[`${prefix}.weight`]!,
        BN_EPSILON,
      ),
    };
  };
  const relu = (a: ref.Array4): ref.Array4 => ({ shape: a.shape, data: a.data.map((v) => Math.max(v, 0)) });
  const input = {
    shape: [BATCH, SHAPE.inputSize, SHAPE.inputSize, SHAPE.inChannels] as [number, number, number, number],
    data: x,
  };
  const h1 = relu(bn(conv(input, 'conv1.weight', 1), 'bn1'));
  const main = bn(conv(h1, 'conv2.weight', 2), 'bn2');
  const shortcut = conv(h1, 'shortcut.weight', 2);
  const h2 = relu({ shape: main.shape, data: main.data.map((v, i) => v + shortcut.data[i]!) });
  const pooled = ref.maxPool(h2, [2, 2], [2, 2], none);
  const h3 = relu(bn(conv(pooled, 'conv3.weight', 1), 'bn3'));
  const features = ref.avgPool(h3, [h3.shape[1], h3.shape[2]], [h3.shape[1], h3.shape[2]]);
  const w2 = 2 * SHAPE.width;
  const logits = ref.matMul(features.data, [BATCH, w2], params['fc.weight']!, [w2, SHAPE.classes], false, false).data;
  let loss = 0;
  for (let b = 0; b < BATCH; b++) {
    const row = Array.from(
      logits.subarray(b * SHAPE.classes, (b + 1) * SHAPE.classes),
      (v, k) => v + params['fc.bias']![k]!,
    );
    const max = Math.max(...row);
    const logSum = max + Math.log(row.reduce((acc, v) => acc + Math.exp(v - max), 0));
    loss += (logSum - row[LABELS[b]!]!) / BATCH;
  }
  return loss;
}

function read(params: Record<string, tf.Tensor>): Record<string, Float64Array> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Float64Array.from(v.dataSync())]));
}

async function parameterGradients(backend: 'wasm' | 'cpu', params: Record<string, Float64Array>, x: Float64Array) {
  await selectBackend(backend);
  const names = Object.keys(params);
  const shapes = smallCnnParamShapes(SHAPE);
  const grads = tf.tidy(() => {
    const tensors = names.map((n) => tf.tensor(Float32Array.from(params[n]!), shapes[n]!));
    const input = tf.tensor4d(Float32Array.from(x), [BATCH, SHAPE.inputSize, SHAPE.inputSize, SHAPE.inChannels]);
    const labels = tf.tensor1d(LABELS, 'int32');
    return tf.grads((...ps: tf.Tensor[]) =>
      crossEntropy(smallCnnLogits(Object.fromEntries(names.map((n, i) => [n, ps[i]!])), input), labels),
    )(tensors);
  });
  const values = Object.fromEntries(names.map((n, i) => [n, Float64Array.from(grads[i]!.dataSync())]));
  tf.dispose(grads);
  return values;
}

test('small residual CNN: every parameter gradient on wasm matches cpu and float64 finite differences', async () => {
  await selectBackend('cpu');
  const init = initSmallCnn(SHAPE, 5);
  const params = read(init);
  tf.dispose(Object.values(init));
  // Random BN scales and offsets so their gradients are not trivially structured.
  for (const [name, values] of Object.entries(params)) {
    if (name.startsWith('bn') || name === 'fc.bias')
      params[name] = ref
        .seededNormals(values.length, name.length * 31)
        .map((v) => (name.endsWith('weight') ? 1 + 0.3 * v : 0.3 * v));
  }
  const x = ref.seededNormals(BATCH * SHAPE.inputSize ** 2 * SHAPE.inChannels, 99);
  const wasm = await parameterGradients('wasm', params, x);
  const cpu = await parameterGradients('cpu', params, x);
  for (const name of Object.keys(params)) {
    const error = ref.relativeError(wasm[name]!, cpu[name]!);
    assert.ok(error < 1e-3, `${name}: wasm vs cpu relative error ${error}`);
  }
  // Directional derivatives along three random directions through all parameters at once.
  for (const seed of [1, 2, 3]) {
    const direction = Object.fromEntries(
      Object.entries(params).map(([n, v], i) => [n, ref.seededNormals(v.length, seed * 100 + i)]),
    );
    const along = (t: number) =>
      referenceLoss(
        Object.fromEntries(Object.entries(params).map(([n, v]) => [n, v.map((e, i) => e + t * direction[n]![i]!)])),
        x,
      );
    const step = 1e-5;
    const finiteDifference = (along(step) - along(-step)) / (2 * step);
    const analytic = Object.keys(params).reduce((acc, n) => acc + ref.dot(wasm[n]!, direction[n]!), 0);
    const error = Math.abs(analytic - finiteDifference) / Math.max(Math.abs(finiteDifference), 1e-3);
    assert.ok(error < 1e-3, `direction ${seed}: analytic ${analytic} vs finite difference ${finiteDifference}`);
  }
});

test('50 SGD steps on wasm leave tf.memory().numTensors unchanged and lower the loss', async () => {
  await selectBackend('wasm');
  const shape: SmallCnnShape = { inputSize: 16, inChannels: 3, width: 4, classes: 10 };
  const x = tf.randomNormal([16, 16, 16, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
  const labels = tf.tensor1d(
    Array.from({ length: 16 }, (_, i) => i % 10),
    'int32',
  );
  let params = initSmallCnn(shape, 11);
  const names = Object.keys(params);
  const lossAt = (p: Record<string, tf.Tensor>) =>
    tf.tidy(() => crossEntropy(smallCnnLogits(p, x), labels).dataSync()[0]!);
  const firstLoss = lossAt(params);
  const before = tf.memory().numTensors;
  for (let step = 0; step < 50; step++) {
    const next = tf.tidy(() => {
      const grads = tf.grads((...ps: tf.Tensor[]) =>
        crossEntropy(smallCnnLogits(Object.fromEntries(names.map((n, i) => [n, ps[i]!])), x), labels),
      )(names.map((n) => params[n]!));
      return Object.fromEntries(names.map((n, i) => [n, tf.sub(params[n]!, tf.mul(grads[i]!, 0.2))]));
    });
    tf.dispose(Object.values(params));
    params = next;
  }
  assert.equal(tf.memory().numTensors, before);
  const lastLoss = lossAt(params);
  assert.ok(lastLoss < firstLoss * 0.5, `loss ${firstLoss} → ${lastLoss}`);
  tf.dispose([...Object.values(params), x, labels]);
});
