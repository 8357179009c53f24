import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { zipStored } from '../helpers/torch-writer.ts';
import {
  CHECKPOINT_LIMIT_BYTES as MAX_TENSOR_BYTES,
  inspectLike,
  PROPERTY_RUNS,
  readerOutcome,
} from './reader-outcome.ts';

const BIN = fileURLToPath(new URL('../../bin/weightscape.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'weightscape-prop-pkl-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const utf8 = (s: string) => [...new TextEncoder().encode(s)];
const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const unicode = (s: string) => [0x58, ...u32(utf8(s).length), ...utf8(s)];
const global = (module: string, name: string) => [0x63, ...utf8(`${module}\n${name}\n`)];
const long = (n: bigint) => {
  const b: number[] = [];
  for (let i = 0; i < 8; i++) b.push(Number((BigInt.asUintN(64, n) >> BigInt(8 * i)) & 0xffn));
  return [0x8a, 8, ...b];
};

/** Globals the reader allows, and some it must refuse by name. */
const ALLOWED = [
  ['collections', 'OrderedDict'],
  ['torch._utils', '_rebuild_tensor_v2'],
  ['torch._utils', '_rebuild_parameter'],
  ['torch', 'FloatStorage'],
  ['torch', 'HalfStorage'],
  ['torch', 'LongStorage'],
];
const FORBIDDEN = [
  ['os', 'system'],
  ['builtins', 'eval'],
  ['torch', 'load'],
  ['__builtin__', 'getattr'],
  ['collections', 'defaultdict'],
  ['a\u001b[2J', 'b\nc'],
];

const integer = fc.oneof(
  fc.integer({ min: 0, max: 6 }),
  fc.constantFrom(-1, 2 ** 31 - 1),
  fc.constantFrom(2n ** 15n, 2n ** 20n, 2n ** 40n, 2n ** 53n, 2n ** 62n, -(2n ** 63n)),
);
const intOp = (n: number | bigint) => (typeof n === 'bigint' ? long(n) : [0x4a, ...u32(n)]);

/** A _rebuild_tensor_v2 call on a storage: sizes, strides and offset chosen freely (zero strides, huge sizes). */
const small = fc.integer({ min: 0, max: 3 });
const sane = fc
  .record({ offset: small, dims: fc.array(fc.tuple(small, small), { maxLength: 2 }) })
  .map(({ offset, dims }) => ({
    storage: 'FloatStorage',
    key: '0',
    offset,
    size: dims.map(([d]) => d),
    stride: dims.map(([, s]) => s),
  }));
const wild = {
  storage: fc.constantFrom('FloatStorage', 'HalfStorage', 'LongStorage', 'Bogus'),
  key: fc.constantFrom('0', '1', '../0', ''),
  offset: integer,
  size: fc.array(integer, { maxLength: 3 }),
  stride: fc.array(integer, { maxLength: 3 }),
};
const tensorCall = fc
  .oneof({ arbitrary: sane, weight: 4 }, { arbitrary: fc.record(wild), weight: 1 })
  .map(({ storage, key, offset, size, stride }) => [
    ...global('torch._utils', '_rebuild_tensor_v2'),
    0x28,
    0x28,
    ...unicode('storage'),
    ...global('torch', storage),
    ...unicode(key),
    ...unicode('cpu'),
    ...intOp(4),
    0x74,
    0x51,
    ...intOp(offset),
    0x28,
    ...size.flatMap(intOp),
    0x74,
    0x28,
    ...stride.flatMap(intOp),
    0x74,
    0x89,
    ...global('collections', 'OrderedDict'),
    0x29,
    0x52,
    0x74,
    0x52,
  ]);

/** One protocol-2 opcode with its argument, a global (allowed or not), a tensor, or random bytes. */
const op = fc.oneof(
  fc.constantFrom(
    [0x28],
    [0x7d],
    [0x5d],
    [0x29],
    [0x74],
    [0x85],
    [0x86],
    [0x87],
    [0x6c],
    [0x64],
    [0x61],
    [0x65],
    [0x73],
    [0x75],
    [0x30],
    [0x31],
    [0x32],
    [0x4e],
    [0x88],
    [0x89],
    [0x52],
    [0x51],
    [0x62],
    [0x94],
    [0x2e],
    [0x80, 2],
    [0x93],
  ),
  fc.nat({ max: 255 }).map((n) => [0x4b, n]),
  integer.map(intOp),
  fc.string({ unit: 'binary', maxLength: 6 }).map(unicode),
  fc.string({ maxLength: 6 }).map((s) => [0x8c, utf8(s).length, ...utf8(s)]),
  fc.nat({ max: 4 }).map((n) => [0x71, n]),
  fc.nat({ max: 4 }).map((n) => [0x68, n]),
  fc.constantFrom(...ALLOWED, ...FORBIDDEN).map(([m, n]) => global(m!, n!)),
  tensorCall,
  fc.uint8Array({ maxLength: 6 }).map((b) => [...b]),
);

/** Either a state dict (OrderedDict of named tensors) with ops mixed in, or a free opcode stream. */
const pickle = fc.oneof(
  fc
    .record({
      names: fc.array(
        fc.oneof(
          fc.constantFrom('w', 'module.w', 'fc1.weight', 'x\u001b[31m\ny'),
          fc.string({ unit: 'binary', maxLength: 5 }),
        ),
        { minLength: 1, maxLength: 3 },
      ),
      tensors: fc.array(tensorCall, { minLength: 3, maxLength: 3 }),
      noise: fc.oneof(
        { arbitrary: fc.constant([]), weight: 2 },
        { arbitrary: fc.array(op, { maxLength: 3 }), weight: 1 },
      ),
      noiseAt: fc.nat(),
    })
    .map(({ names, tensors, noise, noiseAt }) => {
      const items = names.flatMap((n, i) => [...unicode(n), ...tensors[i]!]);
      const at = noiseAt % (items.length + 1);
      const body = [...items.slice(0, at), ...noise.flat(), ...items.slice(at)];
      return new Uint8Array([0x80, 2, ...global('collections', 'OrderedDict'), 0x29, 0x52, 0x28, ...body, 0x75, 0x2e]);
    }),
  fc.array(op, { maxLength: 24 }).map((ops) => new Uint8Array([0x80, 2, ...ops.flat(), 0x2e])),
);

/** The pickle inside a PyTorch zip (with a storage of random length), or the raw bytes. */
const file = fc
  .record({
    pickle,
    zipped: fc.oneof(fc.constant(true), fc.boolean()),
    storageBytes: fc.oneof(
      { arbitrary: fc.constant(64), weight: 3 },
      { arbitrary: fc.constantFrom(0, 3, 8), weight: 1 },
    ),
  })
  .map(({ pickle, zipped, storageBytes }) =>
    zipped
      ? zipStored([
          ['archive/data.pkl', pickle],
          ['archive/data/0', new Uint8Array(storageBytes).fill(0x3c)],
          ['archive/version', new TextEncoder().encode('3\n')],
        ])
      : pickle,
  );

test('pickles: any opcode stream, zipped or raw, loads or is refused with one line (exit 2); a few through the CLI', () => {
  const path = join(dir, 'x.pt');
  let loaded = 0;
  const refused: Array<{ bytes: Uint8Array; line: string }> = [];
  fc.assert(
    fc.property(file, (bytes) => {
      writeFileSync(path, bytes);
      const outcome = readerOutcome(() => inspectLike(path));
      if (outcome.ok) loaded++;
      else if (refused.length < 3 && bytes[0] === 0x50 && !refused.some((r) => r.line === outcome.line))
        refused.push({ bytes, line: outcome.line });
    }),
    PROPERTY_RUNS,
  );
  assert.ok(loaded > 20, `only ${loaded} pickles loaded`);

  // The real CLI on three refused zips: exit 2 and exactly the line the library's error maps to.
  assert.equal(refused.length, 3);
  for (const [i, { bytes, line }] of refused.entries()) {
    const hostile = join(dir, `hostile-${i}.pt`);
    writeFileSync(hostile, bytes);
    const run = spawnSync(process.execPath, [BIN, '--max-tensor-bytes', String(MAX_TENSOR_BYTES), 'inspect', hostile], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(run.status, 2, run.stderr);
    assert.equal(run.stderr, `${line.replaceAll(path, hostile)}\n`);
  }
});
