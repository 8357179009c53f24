/**
 * CIFAR-10/100 binary versions. CIFAR-10: data_batch_1..5.bin and test_batch.bin, records of
 * 1 label byte + 3072 pixel bytes (1024 red, 1024 green, 1024 blue, row-major 32×32).
 * CIFAR-100: train.bin and test.bin, records of a coarse and a fine label byte + 3072 pixels;
 * the fine label (100 classes) is used.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WeightscapeError } from '../errors.ts';

const PIXELS = 32 * 32 * 3;

export interface ByteImages {
  /** NHWC uint8. */
  pixels: Uint8Array;
  labels: Int32Array;
  count: number;
}

export function readCifar(dir: string, variant: 10 | 100, split: 'train' | 'test'): ByteImages {
  const files =
    variant === 10
      ? split === 'train'
        ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`)
        : ['test_batch.bin']
      : [split === 'train' ? 'train.bin' : 'test.bin'];
  const labelBytes = variant === 10 ? 1 : 2;
  const record = labelBytes + PIXELS;
  const chunks = files.map((name) => {
    const path = join(dir, name);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(path));
    } catch {
      throw new WeightscapeError(
        'bad-file',
        `${path}: cannot read the file (cifar${variant}:<dir> needs the binary version's ${files.join(', ')})`,
      );
    }
    if (bytes.byteLength % record !== 0)
      throw new WeightscapeError(
        'bad-file',
        `${path}: ${bytes.byteLength} bytes is not a whole number of ${record}-byte records`,
      );
    return bytes;
  });
  const count = chunks.reduce((a, c) => a + c.byteLength / record, 0);
  const pixels = new Uint8Array(count * PIXELS);
  const labels = new Int32Array(count);
  let n = 0;
  for (const bytes of chunks) {
    for (let r = 0; r < bytes.byteLength; r += record, n++) {
      const label = bytes[r + labelBytes - 1]!;
      if (label >= variant)
        throw new WeightscapeError(
          'bad-file',
          `${join(dir, files[0]!)}: label ${label} of record ${n} is outside 0..${variant - 1}`,
        );
      labels[n] = label;
      // planar RGB → interleaved NHWC
      for (let p = 0; p < 1024; p++) {
        for (let c = 0; c < 3; c++) pixels[n * PIXELS + p * 3 + c] = bytes[r + labelBytes + c * 1024 + p]!;
      }
    }
  }
  return { pixels, labels, count };
}
