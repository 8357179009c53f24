/**
 * The ONNX importer keeps the reader contract on any bytes: an exported model with bytes
 * overwritten and its end cut off either loads (read, translated, its parameters as a checkpoint)
 * or is refused with one line (exit 2), quickly, never decoding past the tensor limit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describeOnnx } from '../../src/onnx-import/describe-onnx.ts';
import { inspectLike, PROPERTY_RUNS, readerOutcome } from './reader-outcome.ts';

const DIR = fileURLToPath(new URL('../../fixtures/onnx/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'weightscape-prop-onnx-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const sources = ['resnet-ish.onnx', 'mobilenet-ish.onnx', 'mini-cnn.onnx'].map((f) => readFileSync(`${DIR}${f}`));
const flip = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }));
const mutated = fc
  .record({
    source: fc.nat({ max: sources.length - 1 }),
    flips: fc.array(flip, { maxLength: 4 }),
    keep: fc.oneof({ arbitrary: fc.constant(null), weight: 2 }, fc.nat()),
  })
  .map(({ source, flips, keep }) => {
    const bytes = new Uint8Array(sources[source]!);
    for (const [at, value] of flips) bytes[at % bytes.byteLength] = value;
    return keep === null ? bytes : bytes.subarray(0, keep % (bytes.byteLength + 1));
  });

test('onnx: an exported model with bytes overwritten or cut off loads or is refused with one line (exit 2)', () => {
  const path = join(dir, 'x.onnx');
  let loaded = 0;
  fc.assert(
    fc.property(mutated, (bytes) => {
      writeFileSync(path, bytes);
      readerOutcome(() => describeOnnx(path));
      if (readerOutcome(() => inspectLike(path)).ok) loaded++;
    }),
    PROPERTY_RUNS,
  );
  // Flips in tensor values leave a loadable model: the success path is reached too.
  assert.ok(loaded > 10, `only ${loaded} files loaded`);
});
