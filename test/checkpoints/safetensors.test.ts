import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MAX_HEADER_BYTES,
  parseSafetensors,
  serializeSafetensors,
  type RawTensor,
} from '../../src/checkpoints/safetensors.ts';
import { writeFileAtomic } from '../../src/results/atomic-write.ts';
import { WeightscapeError } from '../../src/errors.ts';

/** A file assembled by hand: length, header text, data bytes. */
function handMade(headerText: string, data: Uint8Array, claimedLength?: bigint): Uint8Array {
  const header = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + header.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, claimedLength ?? BigInt(header.byteLength), true);
  out.set(header, 8);
  out.set(data, 8 + header.byteLength);
  return out;
}

const floats = new Uint8Array(new Float32Array([1.5, -2, 3.25, 0, 7, 8]).buffer);

function expectBadFile(bytes: Uint8Array, pattern: RegExp) {
  assert.throws(
    () => parseSafetensors(bytes, 'model.safetensors'),
    (error: unknown) => {
      assert.ok(error instanceof WeightscapeError, 'a WeightscapeError');
      assert.equal(error.code, 'bad-file');
      assert.match(error.message, /^model\.safetensors: not a valid safetensors file: /);
      assert.match(error.message, pattern);
      assert.ok(!error.message.includes('\n'), 'one line');
      return true;
    },
  );
}

test('reads a hand-made file: names, dtypes, shapes, values, metadata', () => {
  const header =
    '{"__metadata__":{"arch":"convnet"},"b":{"dtype":"F32","shape":[2],"data_offsets":[16,24]},"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}';
  const file = parseSafetensors(handMade(header, floats), 'x');
  assert.deepEqual(file.metadata, { arch: 'convnet' });
  assert.deepEqual([...file.tensors.keys()].sort(), ['b', 'w']);
  const w = file.tensors.get('w')!;
  assert.deepEqual(w.shape, [2, 2]);
  assert.deepEqual(Array.from(new Float32Array(w.bytes.slice().buffer)), [1.5, -2, 3.25, 0]);
  assert.deepEqual(Array.from(new Float32Array(file.tensors.get('b')!.bytes.slice().buffer)), [7, 8]);
});

test('write then read gives the same tensors and metadata; header padded to 8 bytes, even for non-ASCII names', () => {
  const tensors = new Map<string, RawTensor>([
    ['layer.weight', { dtype: 'F32', shape: [2, 2], bytes: floats.subarray(0, 16) }],
    ['größe', { dtype: 'I64', shape: [1], bytes: new Uint8Array(new BigInt64Array([42n]).buffer) }],
    ['empty', { dtype: 'F32', shape: [0, 3], bytes: new Uint8Array(0) }],
  ]);
  const bytes = serializeSafetensors(tensors, { format: 'weightscape' });
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + headerLength) % 8, 0);
  const back = parseSafetensors(bytes, 'roundtrip');
  assert.deepEqual(back.metadata, { format: 'weightscape' });
  for (const [name, tensor] of tensors) {
    const read = back.tensors.get(name)!;
    assert.equal(read.dtype, tensor.dtype);
    assert.deepEqual(read.shape, tensor.shape);
    assert.deepEqual(Array.from(read.bytes), Array.from(tensor.bytes));
  }
});

test('a header that claims 10 GB is refused before anything is allocated', () => {
  expectBadFile(
    handMade('{}', new Uint8Array(0), 10_000_000_000n),
    /header claims 10000000000 bytes \(limit 100000000\)/,
  );
  assert.equal(MAX_HEADER_BYTES, 100_000_000);
});

test('truncated files: shorter than 8 bytes, header cut, data cut', () => {
  expectBadFile(new Uint8Array(5), /5 bytes is shorter than the 8-byte header length/);
  const header = '{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}';
  const whole = handMade(header, floats.subarray(0, 16));
  expectBadFile(whole.subarray(0, 20), /truncated/);
  expectBadFile(whole.subarray(0, whole.byteLength - 4), /tensors cover 16 bytes but the data section has 12/);
});

test('each malformed header gets its own error', () => {
  const data = floats.subarray(0, 16);
  expectBadFile(handMade('{"w": [', data), /header is not JSON/);
  expectBadFile(handMade('[1,2]', data), /header is not a JSON object/);
  expectBadFile(
    handMade('{"w":{"dtype":"Q8","shape":[4],"data_offsets":[0,16]}}', data),
    /tensor 'w' has unsupported dtype "Q8"/,
  );
  expectBadFile(handMade('{"w":{"dtype":"F32","shape":[2,-2],"data_offsets":[0,16]}}', data), /invalid dimension -2/);
  expectBadFile(
    handMade('{"w":{"dtype":"F32","shape":[9007199254740991,4],"data_offsets":[0,16]}}', data),
    /too many elements/,
  );
  expectBadFile(handMade('{"w":{"dtype":"F32","shape":[4],"data_offsets":[0]}}', data), /invalid data_offsets \[0\]/);
  expectBadFile(
    handMade('{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}', data),
    /F32 × \[3\] needs 12 bytes but data_offsets span 16/,
  );
  expectBadFile(
    handMade(
      '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}',
      data,
    ),
    /tensor 'b' starts at byte 4, expected 8 \(gap or overlap\)/,
  );
  expectBadFile(
    handMade('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', data),
    /tensors cover 8 bytes but the data section has 16/,
  );
  expectBadFile(
    handMade('{"__metadata__":{"epochs":3}}', new Uint8Array(0)),
    /__metadata__ value of 'epochs' is not a string/,
  );
});

test('writeFileAtomic replaces the whole file and leaves no temporary behind', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weightscape-'));
  const path = join(dir, 'model.safetensors');
  writeFileSync(path, 'old');
  writeFileAtomic(path, 'new content');
  assert.equal(readFileSync(path, 'utf8'), 'new content');
  assert.deepEqual(readdirSync(dir), ['model.safetensors']);
});

test('a safetensors file whose header length starts with byte 0x80 is not mistaken for a legacy torch pickle', async () => {
  const { loadCheckpoint } = await import('../../src/checkpoints/load-checkpoint.ts');
  const tensors = new Map<string, RawTensor>([
    ['w', { dtype: 'F32', shape: [2], bytes: new Uint8Array(new Float32Array([1, 2]).buffer) }],
  ]);
  // Grow the metadata until the padded header is exactly 128 (0x80) bytes long.
  let bytes = serializeSafetensors(tensors, { note: '' });
  for (let pad = 0; new DataView(bytes.buffer).getBigUint64(0, true) !== 128n; pad++) {
    assert.ok(pad < 200, 'could not reach a 128-byte header');
    bytes = serializeSafetensors(tensors, { note: 'x'.repeat(pad) });
  }
  assert.equal(bytes[0], 0x80);
  const dir = mkdtempSync(join(tmpdir(), 'weightscape-'));
  writeFileSync(join(dir, 'w.safetensors'), bytes);
  assert.deepEqual(Array.from(loadCheckpoint(join(dir, 'w.safetensors')).tensors.get('w')!.values), [1, 2]);
});
