/**
 * Reading the Hessian reference fixtures (fixtures/make_hessian_fixtures.py, PyTorch float64 double
 * backward): Hessian-vector products of the model fixtures, top eigenvalues, and the exact spectrum of
 * a tiny mlp. Everything is returned in tfjs layout, converted by the project's own mapping.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { loadCheckpoint } from '../../src/checkpoints/load-checkpoint.ts';
import { checkpointToWeights, disposeWeights } from '../../src/checkpoints/map-to-model.ts';
import { resolveModelConfig } from '../../src/checkpoints/model-config.ts';
import { loadDataset, parseDataSpec } from '../../src/data/dataset.ts';
import { modelFor } from '../../src/models/registry.ts';
import { toTfjsLayout } from '../../src/models/tensor-layout.ts';
import type { ModelConfig, ModelWeights, TensorMap, TensorSpec } from '../../src/models/types.ts';
import { loadFixtureModel } from './fixtures.ts';

export const HESSIAN_DIR = fileURLToPath(new URL('../../fixtures/hessian/', import.meta.url));

/** The Hv fixtures: model fixture name and BatchNorm mode. */
export const HV_FIXTURES = [
  { model: 'convnet-mnist', bn: 'eval' },
  { model: 'mlp', bn: 'eval' },
  { model: 'preact-resnet18', bn: 'eval' },
  { model: 'preact-resnet18', bn: 'train' },
  { model: 'wide-resnet', bn: 'eval' },
  { model: 'resnet18', bn: 'eval' },
  { model: 'resnet50', bn: 'train' },
  { model: 'resnet18-imagenet', bn: 'eval' },
] as const;

export type BnMode = 'eval' | 'train';

/** fixtures/hessian/<model>-<bn>.json. */
export interface HvFixtureDescription {
  model: string;
  bn: BnMode;
  labels: number[];
  /** Mean cross-entropy at θ (float64). */
  loss: number;
  vDefinition: string;
  hvNorm: number;
  vNorm: number;
  parameters: number;
  /** Parameters of the reference code that the forward never uses (no Hv; not in weightscape). */
  excluded: string[];
}

const STATE_ROLES = new Set(['bn-running-mean', 'bn-running-var', 'bn-count']);

/** The trainable tensors of a configuration, PyTorch names, shapes and roles. */
export function trainableSpecs(config: ModelConfig): TensorSpec[] {
  return modelFor(config)
    .tensorSpecs()
    .filter((s) => !STATE_ROLES.has(s.role));
}

/** The fixtures' direction for one tensor: sin(0.37·i + 0.1·name.length), i the flat PyTorch-layout index. */
export function directionValues(name: string, count: number): Float64Array {
  return Float64Array.from({ length: count }, (_, i) => Math.sin(0.37 * i + 0.1 * name.length));
}

/** PyTorch-layout values by name → tfjs-layout tensors, through the model's tensor roles (tensor-layout.ts). */
export function pytorchToTfjs(config: ModelConfig, values: (spec: TensorSpec) => ArrayLike<number>): TensorMap {
  const out: TensorMap = {};
  for (const spec of trainableSpecs(config)) {
    out[spec.name] = tf.tidy(() => toTfjsLayout(tf.tensor(Float32Array.from(values(spec)), spec.shape), spec.role));
  }
  return out;
}

/** The direction v of every Hv fixture, in tfjs layout (float32). */
export function fixtureDirection(config: ModelConfig): TensorMap {
  return pytorchToTfjs(config, (spec) =>
    directionValues(
      spec.name,
      spec.shape.reduce((a, b) => a * b, 1),
    ),
  );
}

/** A PyTorch-layout safetensors file of trainable tensors (exactly those of `config`) in tfjs layout. */
export function readParameterTensors(path: string, config: ModelConfig): TensorMap {
  const file = loadCheckpoint(path);
  const wanted = new Set(trainableSpecs(config).map((s) => s.name));
  const extra = [...file.tensors.keys()].filter((k) => !wanted.has(k));
  if (extra.length > 0) throw new Error(`${path}: unexpected tensors ${extra.join(', ')}`);
  return pytorchToTfjs(config, (spec) => {
    const host = file.tensors.get(spec.name);
    if (host === undefined) throw new Error(`${path}: missing ${spec.name}`);
    if (host.shape.join() !== spec.shape.join()) throw new Error(`${path}: ${spec.name} has shape ${host.shape}`);
    return host.values;
  });
}

export interface HvFixture {
  description: HvFixtureDescription;
  config: ModelConfig;
  weights: ModelWeights;
  /** The model fixture's 4 inputs, NHWC. */
  x: tf.Tensor4D;
  /** int32, i % classes. */
  labels: tf.Tensor1D;
  /** BatchNorm in train mode (batch statistics)? */
  training: boolean;
  /** The direction, tfjs layout, trainable parameters only. */
  v: TensorMap;
  /** PyTorch's H·v (float64, stored float32), tfjs layout. */
  expectedHv: TensorMap;
  dispose(): void;
}

/** One Hv fixture with its model, inputs, labels, direction and expected product; `dispose` frees all. */
export function loadHvFixture(model: string, bn: BnMode): HvFixture {
  const stem = `${model}-${bn}`;
  const description = JSON.parse(readFileSync(`${HESSIAN_DIR}${stem}.json`, 'utf8')) as HvFixtureDescription;
  const fixture = loadFixtureModel(model, { extension: 'safetensors' });
  const labels = tf.tensor1d(description.labels, 'int32');
  const v = fixtureDirection(fixture.config);
  const expectedHv = readParameterTensors(`${HESSIAN_DIR}${stem}.hv.safetensors`, fixture.config);
  return {
    description,
    config: fixture.config,
    weights: fixture.weights,
    x: fixture.x,
    labels,
    training: bn === 'train',
    v,
    expectedHv,
    dispose: () => {
      fixture.dispose();
      tf.dispose([labels, ...Object.values(v), ...Object.values(expectedHv)]);
    },
  };
}

/** One model of eigen.json (same model, inputs and labels as its `<model>-eval` Hv fixture). */
export interface EigenFixture {
  model: string;
  bn: 'eval';
  labels: number[];
  loss: number;
  parameters: number;
  /** The 3 largest (algebraic) eigenvalues, largest first; residual = ‖Hy − λy‖/|λ|. */
  eigenvalues: Array<{ value: number; residual: number }>;
  tolerance: number;
  lanczosSteps: number;
  hessianVectorProducts: number;
  smallestRitzValue: number;
  powerIteration: { value: number; residual: number; steps: number; relativeDifference: number };
}

/** eigen.json: PyTorch's Lanczos top eigenvalues for 'mlp' and 'preact-resnet18' (eval mode). */
export function loadEigenFixtures(): Record<'mlp' | 'preact-resnet18', EigenFixture> {
  return JSON.parse(readFileSync(`${HESSIAN_DIR}eigen.json`, 'utf8')) as Record<
    'mlp' | 'preact-resnet18',
    EigenFixture
  >;
}

/** tiny-mlp.json (model description as fixtures/models/*.json, plus the exact spectrum). */
export interface TinyMlpDescription {
  arch: 'mlp';
  options: { hidden: number[] };
  batch: number;
  inputShape: [number, number, number];
  classes: number;
  data: { spec: string; split: 'train' | 'test'; indices: number[]; labels: number[]; scaling: string };
  loss: number;
  parameters: number;
  /** Exact trace of the float64 Hessian. */
  trace: number;
  /** The 5 largest eigenvalues, largest first. */
  top: number[];
  /** m_k = (1/n) Σ λ^k for k = 0..4. */
  moments: number[];
  /** Per parameter tensor (PyTorch order): trace and largest eigenvalue of its diagonal block. */
  perLayer: Array<{ name: string; parameters: number; trace: number; topEigenvalue: number }>;
}

export interface TinyMlp {
  description: TinyMlpDescription;
  config: ModelConfig;
  weights: ModelWeights;
  /** Its 32 examples (mini Fashion-MNIST, train split, first 32), NHWC in [0, 1]. */
  x: tf.Tensor4D;
  labels: tf.Tensor1D;
  /** All n eigenvalues of the exact Hessian, ascending. */
  eigenvalues: Float64Array;
  dispose(): void;
}

/** The tiny mlp with its data and exact spectrum; `dispose` frees its tensors. */
export function loadTinyMlp(): TinyMlp {
  const description = JSON.parse(readFileSync(`${HESSIAN_DIR}tiny-mlp.json`, 'utf8')) as TinyMlpDescription;
  const [height, width, channels] = description.inputShape;
  const checkpoint = loadCheckpoint(`${HESSIAN_DIR}tiny-mlp.safetensors`);
  const config = resolveModelConfig(checkpoint, {
    arch: description.arch,
    options: description.options,
    input: { height, width, channels },
    classes: description.classes,
  });
  const { weights } = checkpointToWeights(checkpoint, config);
  const data = loadDataset(parseDataSpec(description.data.spec), { split: description.data.split });
  const size = height * width * channels;
  const images = new Float32Array(description.data.indices.length * size);
  description.data.indices.forEach((index, i) => {
    images.set(data.images.subarray(index * size, (index + 1) * size), i * size);
    if (data.labels[index] !== description.data.labels[i])
      throw new Error(`tiny-mlp: label of example ${index} differs`);
  });
  const x = tf.tensor4d(images, [description.data.indices.length, height, width, channels]);
  const labels = tf.tensor1d(description.data.labels, 'int32');
  const bytes = readFileSync(`${HESSIAN_DIR}tiny-mlp.eigenvalues.f64`);
  const eigenvalues = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  if (eigenvalues.length !== description.parameters) throw new Error('tiny-mlp: eigenvalue count differs');
  return {
    description,
    config,
    weights,
    x,
    labels,
    eigenvalues,
    dispose: () => {
      disposeWeights(weights);
      tf.dispose([x, labels]);
    },
  };
}
