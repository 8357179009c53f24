/**
 * Checks tfjs gradients of L = Σ r ⊙ f(inputs) against float64 finite differences of a reference
 * implementation, on the wasm backend (weightscape's formulas) and the cpu backend (tfjs defaults).
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendName } from '../../src/backend/select-backend.ts';
import { dot, finiteDifferenceGradient, relativeError, seededNormals } from './reference-ops.ts';

export interface GradientInput {
  name: string;
  shape: number[];
  data: Float64Array;
  /** Skip the finite-difference comparison for this input (e.g. max pooling at exact ties). */
  noFiniteDifference?: boolean;
}

export interface GradientCase {
  inputs: GradientInput[];
  /** The op under test, on tfjs tensors in the order of `inputs`. */
  tfjs: (...xs: tf.Tensor[]) => tf.Tensor;
  /** The same op in float64; returns the flat output. */
  reference: (...xs: Float64Array[]) => Float64Array;
  /** Tolerance on the relative error (max abs difference / max abs reference). */
  tolerance?: number;
}

export interface GradientReport {
  /** Per input: error of wasm vs finite differences, cpu vs finite differences, wasm vs cpu. */
  errors: Record<string, { wasmVsFd: number; cpuVsFd: number; wasmVsCpu: number }>;
}

/** tfjs gradients of Σ r ⊙ f(xs) on the given backend, read back as float64 arrays. */
export async function tfjsGradients(
  backend: BackendName,
  gradientCase: GradientCase,
  weights: Float64Array,
): Promise<Float64Array[]> {
  await selectBackend(backend);
  const before = tf.memory().numTensors;
  const grads = tf.tidy(() => {
    const xs = gradientCase.inputs.map((input) => tf.tensor(Float32Array.from(input.data), input.shape));
    const r = tf.tensor(Float32Array.from(weights));
    const loss = (...args: tf.Tensor[]) => tf.sum(tf.mul(tf.reshape(gradientCase.tfjs(...args), [-1]), r));
    return tf.grads(loss)(xs);
  });
  const values = grads.map((g, i) => {
    assert.deepEqual(g.shape, gradientCase.inputs[i]!.shape, `gradient shape of ${gradientCase.inputs[i]!.name}`);
    return Float64Array.from(g.dataSync());
  });
  tf.dispose(grads);
  assert.equal(tf.memory().numTensors, before, 'gradient computation leaked tensors');
  return values;
}

/** Runs the three comparisons and asserts each is within tolerance. */
export async function checkGradients(gradientCase: GradientCase): Promise<GradientReport> {
  const tolerance = gradientCase.tolerance ?? 1e-3;
  const inputs = gradientCase.inputs.map((input) => input.data.slice());
  const outputLength = gradientCase.reference(...inputs).length;
  const weights = seededNormals(outputLength, 7);
  const referenceLoss = (index: number) => (v: Float64Array) => {
    const args = inputs.map((input, i) => (i === index ? v : input));
    return dot(weights, gradientCase.reference(...args));
  };
  const wasm = await tfjsGradients('wasm', gradientCase, weights);
  const cpu = await tfjsGradients('cpu', gradientCase, weights);
  const errors: GradientReport['errors'] = {};
  gradientCase.inputs.forEach((input, i) => {
    const wasmVsCpu = relativeError(wasm[i]!, cpu[i]!);
    let wasmVsFd = NaN;
    let cpuVsFd = NaN;
    if (!input.noFiniteDifference) {
      const fd = finiteDifferenceGradient(referenceLoss(i), inputs[i]!);
      wasmVsFd = relativeError(wasm[i]!, fd);
      cpuVsFd = relativeError(cpu[i]!, fd);
      assert.ok(wasmVsFd < tolerance, `${input.name}: wasm gradient vs finite differences, relative error ${wasmVsFd}`);
      assert.ok(cpuVsFd < tolerance, `${input.name}: cpu gradient vs finite differences, relative error ${cpuVsFd}`);
    }
    assert.ok(wasmVsCpu < tolerance, `${input.name}: wasm vs cpu gradient, relative error ${wasmVsCpu}`);
    errors[input.name] = { wasmVsFd, cpuVsFd, wasmVsCpu };
  });
  return { errors };
}

/** A named input with seeded normal values. */
export function normalInput(name: string, shape: number[], seed: number, scale = 1): GradientInput {
  const size = shape.reduce((a, b) => a * b, 1);
  return { name, shape, data: seededNormals(size, seed).map((v) => v * scale) };
}
