import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset, parseDataSpec } from '../../src/data/dataset.ts';
import { WeightscapeError } from '../../src/errors.ts';
import { npyBytes } from '../helpers/npy-writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'weightscape-bounds-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const userError = (pattern: RegExp) => (e: unknown) =>
  e instanceof WeightscapeError && e.isUserError && pattern.test(e.message) && !e.message.includes('\n');

test('an empty data set is refused up front, naming the spec (it gave "loss is NaN" after the work)', () => {
  writeFileSync(join(dir, 'x.npy'), npyBytes('<f4', [0, 28, 28], new Uint8Array(0)));
  writeFileSync(join(dir, 'y.npy'), npyBytes('<i8', [0], new Uint8Array(0)));
  const spec = `npy:${join(dir, 'x.npy')},${join(dir, 'y.npy')}`;
  assert.throws(() => loadDataset(parseDataSpec(spec)), userError(/^--data npy:\S*x\.npy,\S*y\.npy: no images$/));
});

test('--subset larger than the data is refused with both counts (it silently used all of it)', () => {
  assert.throws(
    () => loadDataset(parseDataSpec('mini'), { split: 'test', subset: 5000 }),
    userError(/^--subset 5000: the data mini\/test has only 1000 images$/),
  );
  // Exactly the data's size is all of it, unchanged.
  const all = loadDataset(parseDataSpec('mini'), { split: 'test', subset: 1000 });
  assert.equal(all.shape[0], 1000);
  assert.equal(all.spec, 'mini/test');
});
