import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { contiguousStrides, decodeStrided } from '../../src/checkpoints/host-tensor.ts';
import { parseNpy, serializeNpy } from '../../src/data/npy.ts';
import { PROPERTY_RUNS, readerOutcome } from './reader-outcome.ts';

/** Small, so that generated headers reach it: an array of 1,024 values or more is refused. */
const MAX_TENSOR_BYTES = 4096;
const BYTES: Record<string, number> = {
  '<f4': 4,
  '<f8': 8,
  '<f2': 2,
  '|u1': 1,
  '|i1': 1,
  '<i2': 2,
  '<i4': 4,
  '<i8': 8,
  '|b1': 1,
};

const descr = fc.oneof(
  { arbitrary: fc.constantFrom(...Object.keys(BYTES)), weight: 4 },
  { arbitrary: fc.constantFrom('>f4', '<c8', 'O', "'", '', '<f4\n', '\u001b[2J'), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 4 }), weight: 1 },
);
const dimText = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 5 }).map(String), weight: 3 },
  fc.constantFrom(
    '40',
    '64',
    '-1',
    '1e3',
    '0x10',
    '2.5',
    '',
    ' ',
    'None',
    String(2 ** 53),
    String(2 ** 40),
    '1'.repeat(400),
  ),
);
const shapeText = fc.array(dimText, { maxLength: 4 }).map((dims) => dims.join(', ') + (dims.length === 1 ? ',' : ''));

/** A header dict (its fields possibly missing or garbled), a version, a length field right or wrong, data. */
const generated = fc
  .record({
    // Mostly right, one thing wrong at a time, so that every check is reached.
    version: fc.oneof(
      { arbitrary: fc.constantFrom(1, 2, 3), weight: 4 },
      { arbitrary: fc.integer({ min: 0, max: 255 }), weight: 1 },
    ),
    descr,
    fortran: fc.oneof({ arbitrary: fc.constant('False'), weight: 4 }, fc.constant('True'), fc.string({ maxLength: 3 })),
    shape: shapeText,
    drop: fc.oneof({ arbitrary: fc.constant(null), weight: 5 }, fc.constantFrom('descr', 'fortran_order', 'shape')),
    noise: fc.oneof({ arbitrary: fc.constant(''), weight: 3 }, fc.string({ unit: 'binary', maxLength: 6 })),
    lengthDelta: fc.oneof(
      { arbitrary: fc.constant(0), weight: 4 },
      fc.integer({ min: -8, max: 8 }),
      fc.constantFrom(0xffff, 0xffffffff, 1 << 20),
    ),
    dataBytes: fc.oneof({ arbitrary: fc.constant(-1), weight: 3 }, fc.nat({ max: 128 })),
  })
  .map(({ version, descr, fortran, shape, drop, noise, lengthDelta, dataBytes }) => {
    const fields = [`'descr': '${descr}'`, `'fortran_order': ${fortran}`, `'shape': (${shape})`].filter(
      (f) => drop === null || !f.startsWith(`'${drop}'`),
    );
    const header = new TextEncoder().encode(`{${fields.join(', ')}, ${noise}}\n`);
    const lengthBytes = version === 1 ? 2 : 4;
    // -1: exactly the bytes the header's shape needs, when that is small.
    const dims = shape
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0)
      .map(Number);
    const needed = dims.reduce((a, b) => a * b, 1) * (BYTES[descr] ?? 1);
    const data = dataBytes >= 0 ? dataBytes : Number.isSafeInteger(needed) && needed >= 0 && needed < 4096 ? needed : 0;
    const out = new Uint8Array(8 + lengthBytes + header.byteLength + data);
    out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
    const length = header.byteLength + lengthDelta;
    const view = new DataView(out.buffer);
    if (version === 1) view.setUint16(8, length & 0xffff, true);
    else view.setUint32(8, length >>> 0, true);
    out.set(header, 8 + lengthBytes);
    return out;
  });

/** A valid file with a few bytes overwritten and possibly cut short. */
const mutated = fc
  .record({
    shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
    descr: fc.constantFrom('<f4' as const, '|u1' as const, '<i8' as const, '<i4' as const),
    flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
    keep: fc.oneof({ arbitrary: fc.constant(null), weight: 2 }, fc.nat()),
  })
  .map(({ shape, descr, flips, keep }) => {
    const size = shape.reduce((a, b) => a * b, 1) * BYTES[descr]!;
    const bytes = serializeNpy(descr, shape, new Uint8Array(size)).slice();
    for (const [at, value] of flips) bytes[at % bytes.byteLength] = value;
    return keep === null ? bytes : bytes.subarray(0, keep % (bytes.byteLength + 1));
  });

test('npy: any header either parses (and decodes) or is refused with one line (exit 2)', () => {
  let parsed = 0;
  fc.assert(
    fc.property(fc.oneof(generated, mutated), (bytes) => {
      let values = 0;
      const outcome = readerOutcome(() => {
        const array = parseNpy(bytes, 'x.npy', MAX_TENSOR_BYTES);
        // What the data loader does next.
        values = decodeStrided(array.bytes, array.dtype, array.shape, contiguousStrides(array.shape), 0, 'x.npy').values
          .length;
      });
      if (outcome.ok) parsed++;
      assert.ok(values * 4 < MAX_TENSOR_BYTES, `decoded ${values} values past the limit`);
    }),
    PROPERTY_RUNS,
  );
  assert.ok(parsed > 10, `only ${parsed} files parsed`);
});
