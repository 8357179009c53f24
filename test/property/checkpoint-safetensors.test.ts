import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseSafetensors, serializeSafetensors, type RawTensor } from '../../src/checkpoints/safetensors.ts';
import { inspectLike, PROPERTY_RUNS, readerOutcome } from './reader-outcome.ts';

const dir = mkdtempSync(join(tmpdir(), 'weightscape-prop-st-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** Names with control characters, quotes, `module.` prefixes and unicode. */
const name = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom(
    'w',
    'module.w',
    '__metadata__',
    'a\u001b[31m\nb',
    '__proto__',
    'conv1.weight',
    'linear.weight',
    'fc1.weight',
    'fc7.weight',
  ),
);
const dim = fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constantFrom(-1, 2 ** 31, 2 ** 53, 2 ** 60, 1.5, '3', null));
const jsonish = fc.oneof(
  fc.integer({ min: -5, max: 64 }),
  fc.constantFrom(2 ** 53, 1e300, -0, 0.5, 'x', null, true, [], {}),
);
const entry = fc.record(
  {
    dtype: fc.oneof(
      fc.constantFrom('F32', 'F16', 'BF16', 'F64', 'I64', 'I32', 'I8', 'U8', 'BOOL'),
      fc.string({ maxLength: 4 }),
    ),
    shape: fc.oneof(fc.array(dim, { maxLength: 4 }), jsonish),
    data_offsets: fc.oneof(fc.tuple(jsonish, jsonish), fc.array(jsonish, { maxLength: 3 }), jsonish),
  },
  { requiredKeys: [] },
);
const metadata = fc.dictionary(name, fc.oneof(fc.string({ unit: 'binary', maxLength: 8 }), jsonish), { maxKeys: 3 });
const header = fc
  .tuple(fc.dictionary(name, entry, { maxKeys: 4 }), fc.option(metadata))
  .map(([entries, meta]) => (meta === null ? entries : { ...entries, __metadata__: meta }));

/** A header (JSON, or JSON cut short) with a length field that is right or wrong, and some data bytes. */
const generatedFile = fc
  .record({
    header,
    cut: fc.oneof({ arbitrary: fc.constant(null), weight: 4 }, fc.nat({ max: 40 })),
    lengthDelta: fc.oneof(
      fc.constant(0n),
      fc.bigInt({ min: -16n, max: 16n }),
      fc.constantFrom(2n ** 63n, 2n ** 64n - 1n, 100_000_001n),
    ),
    dataBytes: fc.nat({ max: 200 }),
  })
  .map(({ header, cut, lengthDelta, dataBytes }) => {
    let json = new TextEncoder().encode(JSON.stringify(header));
    if (cut !== null) json = json.subarray(0, Math.min(cut, json.byteLength));
    const out = new Uint8Array(8 + json.byteLength + dataBytes);
    const length = BigInt(json.byteLength) + lengthDelta;
    new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, length), true);
    out.set(json, 8);
    out.fill(0x3f, 8 + json.byteLength);
    return out;
  });

/** A valid file (random tensors) with bytes overwritten and the end cut off. */
const tensor = fc.tuple(
  fc.constantFrom('F32' as const, 'F16' as const, 'I64' as const, 'U8' as const),
  fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
);
const flip = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }));
const mutatedFile = (mutate: boolean) =>
  fc
    .record({
      tensors: fc.dictionary(name, tensor, { minKeys: 1, maxKeys: 4 }),
      flips: mutate ? fc.array(flip, { minLength: 1, maxLength: 4 }) : fc.constant([]),
      keep: mutate ? fc.oneof({ arbitrary: fc.constant(null), weight: 2 }, fc.nat()) : fc.constant(null),
    })
    .map(({ tensors, flips, keep }) => {
      const raw = new Map<string, RawTensor>(
        Object.entries(tensors).map(([n, [dtype, shape]]) => {
          const size = shape.reduce((a, b) => a * b, 1) * { F32: 4, F16: 2, I64: 8, U8: 1 }[dtype];
          return [n, { dtype, shape, bytes: new Uint8Array(size).fill(1) }];
        }),
      );
      const bytes = serializeSafetensors(raw, { arch: 'convnet' }).slice();
      for (const [at, value] of flips) bytes[at % bytes.byteLength] = value;
      return keep === null ? bytes : bytes.subarray(0, keep % (bytes.byteLength + 1));
    });

test('safetensors: any header and length either loads or is refused with one line (exit 2)', () => {
  const path = join(dir, 'x.safetensors');
  let loaded = 0;
  fc.assert(
    fc.property(fc.oneof(generatedFile, mutatedFile(true), mutatedFile(false)), (bytes) => {
      readerOutcome(() => parseSafetensors(bytes, 'x.safetensors'));
      writeFileSync(path, bytes);
      if (readerOutcome(() => inspectLike(path)).ok) loaded++;
    }),
    PROPERTY_RUNS,
  );
  // The generators reach the success path too, not only the first check.
  assert.ok(loaded > 10, `only ${loaded} files loaded`);
});
