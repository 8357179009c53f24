import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadDataset, parseDataSpec } from '../../src/data/dataset.ts';
import { stratifiedIndices } from '../../src/data/subset.ts';
import { WeightscapeError } from '../../src/errors.ts';

function classCounts(labels: Int32Array, classes = 10): number[] {
  const counts = new Array<number>(classes).fill(0);
  labels.forEach((l) => counts[l]!++);
  return counts;
}

test('mini: 2,000 training and 1,000 test images, class-balanced, 28×28×1 in [0, 1]', () => {
  const train = loadDataset(parseDataSpec('mini'), { split: 'train' });
  const test = loadDataset(parseDataSpec('mini'), { split: 'test' });
  assert.deepEqual(train.shape, [2000, 28, 28, 1]);
  assert.deepEqual(test.shape, [1000, 28, 28, 1]);
  assert.deepEqual(classCounts(train.labels), new Array(10).fill(200));
  assert.deepEqual(classCounts(test.labels), new Array(10).fill(100));
  assert.ok(train.images.every((v) => v >= 0 && v <= 1));
  assert.ok(train.images.some((v) => v === 1) && train.images.some((v) => v === 0));
});

test('--subset is class-stratified and deterministic for a seed, different for another seed', () => {
  const a = loadDataset(parseDataSpec('mini'), { split: 'train', subset: 300, seed: 4 });
  const b = loadDataset(parseDataSpec('mini'), { split: 'train', subset: 300, seed: 4 });
  const c = loadDataset(parseDataSpec('mini'), { split: 'train', subset: 300, seed: 5 });
  assert.deepEqual(classCounts(a.labels), new Array(10).fill(30));
  assert.deepEqual(a.images, b.images);
  assert.notDeepEqual(a.images, c.images);
  // Unbalanced labels: 6 of class 0, 3 of class 1, 1 of class 2 → 5 places as 3 + 1.5 + 0.5.
  const labels = Int32Array.from([0, 0, 0, 0, 0, 0, 1, 1, 1, 2]);
  const picked = stratifiedIndices(labels, 5, 0).map((i) => labels[i]);
  assert.equal(picked.filter((l) => l === 0).length, 3);
  assert.equal(picked.length, 5);
});

test('IDX errors: wrong magic, wrong dimensions, truncated data, missing files, label out of range', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weightscape-idx-'));
  try {
    const images = (count: number, magicType = 0x08, dims = 3) => {
      const header = Buffer.alloc(16);
      header.set([0, 0, magicType, dims]);
      header.writeUInt32BE(count, 4);
      header.writeUInt32BE(2, 8);
      header.writeUInt32BE(2, 12);
      return Buffer.concat([header, Buffer.alloc(count * 4)]);
    };
    const labels = (values: number[]) => {
      const header = Buffer.alloc(8);
      header.set([0, 0, 8, 1]);
      header.writeUInt32BE(values.length, 4);
      return Buffer.concat([header, Buffer.from(values)]);
    };
    const write = (imageBytes: Buffer, labelBytes: Buffer) => {
      writeFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), gzipSync(imageBytes));
      writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), labelBytes);
    };
    const expectError = (pattern: RegExp) =>
      assert.throws(
        () => loadDataset(parseDataSpec(`fashion-mnist:${dir}`), { split: 'test' }),
        (e: unknown) => e instanceof WeightscapeError && pattern.test(e.message) && !e.message.includes('\n'),
      );
    write(images(3), labels([0, 1, 2]));
    assert.deepEqual(loadDataset(parseDataSpec(`fashion-mnist:${dir}`), { split: 'test' }).shape, [3, 2, 2, 1]);
    write(images(3, 0x09), labels([0, 1, 2]));
    expectError(/not a valid IDX file: element type 0x9 is not unsigned bytes/);
    write(Buffer.from('PK\x03\x04 not idx at all'), labels([0, 1, 2]));
    expectError(/not a valid IDX file: wrong magic number/);
    write(images(3).subarray(0, 20), labels([0, 1, 2]));
    expectError(/need 12 bytes of data but the file has 4/);
    write(images(3), labels([0, 1, 12]));
    expectError(/label 12 of image 2 is outside 0\.\.9/);
    expectError(/./);
    assert.throws(
      () => loadDataset(parseDataSpec(`mnist:${join(dir, 'nowhere')}`), { split: 'train' }),
      /train-images-idx3-ubyte\(\.gz\): missing/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('data specs: each kind parsed, unknown kinds and missing directories refused', () => {
  assert.deepEqual(parseDataSpec('fashion-mnist').paths, ['/usr/share/datasets/fashion-mnist']);
  assert.deepEqual(parseDataSpec('cifar10:/data/c10').paths, ['/data/c10']);
  assert.throws(() => parseDataSpec('cifar100'), /cifar100 needs its directory/);
  assert.throws(() => parseDataSpec('imagenet:/x'), /unknown data spec/);
  assert.throws(() => parseDataSpec('npy:only-one.npy'), /expected npy:<images.npy>,<labels.npy>/);
});
