import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtobufWriter } from '../../src/onnx/protobuf-writer.ts';

// Expected bytes worked out by hand from the Protocol Buffers encoding rules.
test("varints: 1 byte below 128, 300 as AC 02, −1 as ten bytes (int64 two's complement)", () => {
  assert.deepEqual([...new ProtobufWriter().int(1, 1).finish()], [0x08, 0x01]);
  assert.deepEqual([...new ProtobufWriter().int(1, 300).finish()], [0x08, 0xac, 0x02]);
  assert.deepEqual(
    [...new ProtobufWriter().int(2, -1).finish()],
    [0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
  );
  // Field 20 needs a two-byte tag: (20 << 3) | 0 = 160 → A0 01.
  assert.deepEqual([...new ProtobufWriter().int(20, 7).finish()], [0xa0, 0x01, 0x07]);
});

test('length-delimited fields: strings, nested messages, packed integers and a float', () => {
  assert.deepEqual([...new ProtobufWriter().string(4, 'Conv').finish()], [0x22, 0x04, 0x43, 0x6f, 0x6e, 0x76]);
  assert.deepEqual([...new ProtobufWriter().message(7, (m) => m.int(1, 3)).finish()], [0x3a, 0x02, 0x08, 0x03]);
  assert.deepEqual([...new ProtobufWriter().packedInts(8, [1, 300, 2]).finish()], [0x42, 0x04, 0x01, 0xac, 0x02, 0x02]);
  // 1.0f = 0x3F800000, little-endian, wire type 5.
  assert.deepEqual([...new ProtobufWriter().float(2, 1).finish()], [0x15, 0x00, 0x00, 0x80, 0x3f]);
});

test('the buffer grows past its first kilobyte without losing bytes', () => {
  const payload = new Uint8Array(5000).map((_, i) => i % 251);
  const bytes = new ProtobufWriter().int(1, 1).bytesField(9, payload).finish();
  assert.equal(bytes.length, 2 + 1 + 2 + 5000);
  assert.deepEqual([...bytes.subarray(0, 5)], [0x08, 0x01, 0x4a, 0x88, 0x27]);
  assert.deepEqual(bytes.subarray(5), payload);
});
