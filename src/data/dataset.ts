/**
 * Labeled image sets in memory: float32 NHWC images in [0, 1] and int32 labels.
 * Data specs: `npy:<images.npy>,<labels.npy>` (the data-and-attacks issue adds the rest).
 */
import { WeightscapeError } from '../errors.ts';
import { contiguousStrides, decodeStrided } from '../checkpoints/host-tensor.ts';
import { readNpy } from './npy.ts';

export interface LabeledImages {
  /** NHWC, values in [0, 1]. */
  images: Float32Array;
  shape: [number, number, number, number];
  labels: Int32Array;
  /** The spec it was read from. */
  spec: string;
}

function readNpyImages(imagesPath: string, labelsPath: string, spec: string): LabeledImages {
  const images = readNpy(imagesPath);
  if (images.dtype !== 'F32' && images.dtype !== 'U8') {
    throw new WeightscapeError('bad-file', `${imagesPath}: images must be float32 in [0,1] or uint8 (got ${images.dtype})`);
  }
  if (images.shape.length !== 3 && images.shape.length !== 4) {
    throw new WeightscapeError('bad-file', `${imagesPath}: images must be N×H×W or N×H×W×C (got shape ${images.shape.join('×')})`);
  }
  const [n, h, w, c = 1] = images.shape as [number, number, number, number?];
  const decoded = decodeStrided(images.bytes, images.dtype, images.shape, contiguousStrides(images.shape), 0, imagesPath).values as Float32Array;
  const pixels = images.dtype === 'U8' ? decoded.map((v) => v / 255) : decoded;
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i]!;
    if (!(v >= 0 && v <= 1)) throw new WeightscapeError('bad-file', `${imagesPath}: pixel ${i} is ${v}; float images must lie in [0, 1]`);
  }
  const labels = readNpy(labelsPath);
  if (!['I64', 'I32', 'U8'].includes(labels.dtype) || labels.shape.length !== 1) {
    throw new WeightscapeError('bad-file', `${labelsPath}: labels must be a 1-D int64, int32 or uint8 array (got ${labels.dtype} of shape ${labels.shape.join('×')})`);
  }
  if (labels.shape[0] !== n) throw new WeightscapeError('bad-file', `${labelsPath}: ${labels.shape[0]} labels for ${n} images in ${imagesPath}`);
  const labelValues = decodeStrided(labels.bytes, labels.dtype, labels.shape, [1], 0, labelsPath).values as Int32Array;
  return { images: pixels, shape: [n, h, w, c], labels: Int32Array.from(labelValues), spec };
}

/** Reads the data a spec names. */
export function loadDataset(spec: string): LabeledImages {
  const [kind, rest] = spec.includes(':') ? [spec.slice(0, spec.indexOf(':')), spec.slice(spec.indexOf(':') + 1)] : [spec, ''];
  if (kind === 'npy') {
    const paths = rest.split(',');
    if (paths.length !== 2 || paths.some((p) => p.length === 0)) {
      throw new WeightscapeError('bad-argument', `--data ${spec}: expected npy:<images.npy>,<labels.npy>`);
    }
    return readNpyImages(paths[0]!, paths[1]!, spec);
  }
  throw new WeightscapeError('bad-argument', `--data ${spec}: unknown data spec (supported: npy:<images.npy>,<labels.npy>)`);
}

/** Checks labels against the number of classes. */
export function checkLabels(data: LabeledImages, classes: number): void {
  const bad = data.labels.findIndex((l) => l < 0 || l >= classes);
  if (bad >= 0) throw new WeightscapeError('bad-file', `${data.spec}: label ${data.labels[bad]} of image ${bad} is outside 0..${classes - 1}`);
}
