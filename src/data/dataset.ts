/**
 * Labeled image sets in memory: float32 NHWC images in [0, 1] and int32 labels.
 * Data specs: fashion-mnist[:<dir>], mnist[:<dir>] (IDX, gzipped or not), cifar10:<dir>,
 * cifar100:<dir> (binary versions), npy:<images.npy>,<labels.npy>, and mini (a class-balanced
 * Fashion-MNIST subset committed under fixtures/).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { WeightscapeError } from '../errors.ts';
import { printable } from '../escape-text.ts';
import { packagePath } from '../package-root.ts';
import { contiguousStrides, decodeStrided } from '../checkpoints/host-tensor.ts';
import { readCifar } from './cifar.ts';
import { readIdx } from './idx.ts';
import { readNpy } from './npy.ts';
import { stratifiedIndices } from './subset.ts';

export type Split = 'train' | 'test';

export interface LabeledImages {
  /** NHWC, values in [0, 1]. */
  images: Float32Array;
  shape: [number, number, number, number];
  labels: Int32Array;
  /** The spec it was read from, with the split and subset. */
  spec: string;
}

export interface DataSpec {
  kind: 'fashion-mnist' | 'mnist' | 'cifar10' | 'cifar100' | 'npy' | 'mini';
  /** Directory (IDX, CIFAR) or the two .npy paths. */
  paths: string[];
  text: string;
}

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const MNIST_DIR = '/usr/share/datasets/mnist';
export const MINI_DIR = packagePath('fixtures', 'data', 'mini-fashion-mnist');

/** A bad-argument error about a data spec, quoted escaped so that the message stays one inert line. */
function badSpec(message: string): WeightscapeError {
  return new WeightscapeError('bad-argument', printable(message));
}

export function parseDataSpec(text: string): DataSpec {
  const colon = text.indexOf(':');
  const kind = colon < 0 ? text : text.slice(0, colon);
  const rest = colon < 0 ? '' : text.slice(colon + 1);
  switch (kind) {
    case 'fashion-mnist':
      return { kind, paths: [rest || FASHION_MNIST_DIR], text };
    case 'mnist':
      return { kind, paths: [rest || MNIST_DIR], text };
    case 'mini':
      return { kind, paths: [MINI_DIR], text };
    case 'cifar10':
    case 'cifar100':
      if (!rest) throw badSpec(`--data ${text}: ${kind} needs its directory (${kind}:<dir>)`);
      return { kind, paths: [rest], text };
    case 'npy': {
      const paths = rest.split(',');
      if (paths.length !== 2 || paths.some((p) => p.length === 0))
        throw badSpec(`--data ${text}: expected npy:<images.npy>,<labels.npy>`);
      return { kind, paths, text };
    }
    default:
      throw badSpec(
        `--data ${text}: unknown data spec (fashion-mnist[:<dir>], mnist[:<dir>], cifar10:<dir>, cifar100:<dir>, npy:<images>,<labels>, mini)`,
      );
  }
}

/** Splits a spec offers: npy files are one given set. */
export function splitsOf(spec: DataSpec): Split[] {
  return spec.kind === 'npy' ? ['test'] : ['train', 'test'];
}

export function classesOf(spec: DataSpec): number | undefined {
  return spec.kind === 'cifar100' ? 100 : spec.kind === 'npy' ? undefined : 10;
}

function idxFile(dir: string, stem: string): string {
  for (const name of [`${stem}.gz`, stem]) if (existsSync(join(dir, name))) return join(dir, name);
  throw new WeightscapeError(
    'bad-file',
    `${join(dir, stem)}(.gz): missing (for Fashion-MNIST: apt-get install dataset-fashion-mnist)`,
  );
}

function fromBytes(
  pixels: Uint8Array,
  shape: [number, number, number, number],
  labels: Int32Array,
  spec: string,
): LabeledImages {
  const images = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) images[i] = pixels[i]! / 255;
  return { images, shape, labels, spec };
}

function readIdxSplit(dir: string, split: Split, spec: string): LabeledImages {
  const prefix = split === 'train' ? 'train' : 't10k';
  const imagesPath = idxFile(dir, `${prefix}-images-idx3-ubyte`);
  const labelsPath = idxFile(dir, `${prefix}-labels-idx1-ubyte`);
  const images = readIdx(imagesPath, 3);
  const labels = readIdx(labelsPath, 1);
  const [n, h, w] = images.shape as [number, number, number];
  if (labels.shape[0] !== n)
    throw new WeightscapeError('bad-file', `${labelsPath}: ${labels.shape[0]} labels for ${n} images in ${imagesPath}`);
  const bad = labels.data.findIndex((l) => l > 9);
  if (bad >= 0)
    throw new WeightscapeError('bad-file', `${labelsPath}: label ${labels.data[bad]} of image ${bad} is outside 0..9`);
  return fromBytes(images.data, [n, h, w, 1], Int32Array.from(labels.data), spec);
}

function readNpyImages(imagesPath: string, labelsPath: string, spec: string): LabeledImages {
  const images = readNpy(imagesPath);
  if (images.dtype !== 'F32' && images.dtype !== 'U8') {
    throw new WeightscapeError(
      'bad-file',
      `${imagesPath}: images must be float32 in [0,1] or uint8 (got ${images.dtype})`,
    );
  }
  if (images.shape.length !== 3 && images.shape.length !== 4) {
    throw new WeightscapeError(
      'bad-file',
      `${imagesPath}: images must be N×H×W or N×H×W×C (got shape ${images.shape.join('×')})`,
    );
  }
  const [n, h, w, c = 1] = images.shape as [number, number, number, number?];
  const decoded = decodeStrided(
    images.bytes,
    images.dtype,
    images.shape,
    contiguousStrides(images.shape),
    0,
    imagesPath,
  ).values as Float32Array;
  const pixels = images.dtype === 'U8' ? decoded.map((v) => v / 255) : decoded;
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i]!;
    if (!(v >= 0 && v <= 1))
      throw new WeightscapeError('bad-file', `${imagesPath}: pixel ${i} is ${v}; float images must lie in [0, 1]`);
  }
  const labels = readNpy(labelsPath);
  if (!['I64', 'I32', 'U8'].includes(labels.dtype) || labels.shape.length !== 1) {
    throw new WeightscapeError(
      'bad-file',
      `${labelsPath}: labels must be a 1-D int64, int32 or uint8 array (got ${labels.dtype} of shape ${labels.shape.join('×')})`,
    );
  }
  if (labels.shape[0] !== n)
    throw new WeightscapeError('bad-file', `${labelsPath}: ${labels.shape[0]} labels for ${n} images in ${imagesPath}`);
  const labelValues = decodeStrided(labels.bytes, labels.dtype, labels.shape, [1], 0, labelsPath).values as Int32Array;
  return { images: pixels, shape: [n, h, w, c], labels: Int32Array.from(labelValues), spec };
}

/** Keeps the examples at `indices` (ascending). */
export function selectExamples(data: LabeledImages, indices: number[], spec: string): LabeledImages {
  const [, h, w, c] = data.shape;
  const size = h * w * c;
  const images = new Float32Array(indices.length * size);
  const labels = new Int32Array(indices.length);
  indices.forEach((index, i) => {
    images.set(data.images.subarray(index * size, (index + 1) * size), i * size);
    labels[i] = data.labels[index]!;
  });
  return { images, shape: [indices.length, h, w, c], labels, spec };
}

export interface LoadOptions {
  split?: Split;
  /** Class-stratified subset of this many examples, deterministic for `seed`. */
  subset?: number;
  seed?: number;
}

/** Reads the data a spec names (one split), optionally a stratified subset of it. */
export function loadDataset(spec: DataSpec, { split = 'test', subset, seed = 0 }: LoadOptions = {}): LabeledImages {
  const label = spec.kind === 'npy' ? spec.text : `${spec.text}/${split}`;
  let data: LabeledImages;
  switch (spec.kind) {
    case 'fashion-mnist':
    case 'mnist':
    case 'mini':
      data = readIdxSplit(spec.paths[0]!, split, label);
      break;
    case 'cifar10':
    case 'cifar100': {
      const bytes = readCifar(spec.paths[0]!, spec.kind === 'cifar10' ? 10 : 100, split);
      data = fromBytes(bytes.pixels, [bytes.count, 32, 32, 3], bytes.labels, label);
      break;
    }
    case 'npy':
      data = readNpyImages(spec.paths[0]!, spec.paths[1]!, label);
      break;
  }
  // An empty set would give NaN losses after all the work; a subset larger than the set would
  // silently be all of it (and recorded as a subset).
  if (data.shape[0] === 0)
    throw new WeightscapeError(
      'bad-file',
      printable(`--data ${spec.text}: no images${spec.kind === 'npy' ? '' : ` in the ${split} split`}`),
    );
  if (subset !== undefined && subset > data.shape[0]) {
    throw new WeightscapeError(
      'bad-argument',
      printable(`--subset ${subset}: the data ${label} has only ${data.shape[0]} images`),
    );
  }
  if (subset === undefined || subset === data.shape[0]) return data;
  return selectExamples(data, stratifiedIndices(data.labels, subset, seed), `${label}[subset ${subset}, seed ${seed}]`);
}

/** Checks labels against the number of classes. */
export function checkLabels(data: LabeledImages, classes: number): void {
  const bad = data.labels.findIndex((l) => l < 0 || l >= classes);
  if (bad >= 0)
    throw new WeightscapeError(
      'bad-file',
      `${data.spec}: label ${data.labels[bad]} of image ${bad} is outside 0..${classes - 1}`,
    );
}
