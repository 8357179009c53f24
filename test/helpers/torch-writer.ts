/**
 * Test-only writers for PyTorch-format files, written from the format's description (zip of
 * stored entries: <prefix>/data.pkl, <prefix>/data/<key>, <prefix>/version), to build large or
 * hostile checkpoints without Python.
 */
import { crc32 } from 'node:zlib';

/** A zip archive of stored (uncompressed) entries. */
export function zipStored(entries: Array<[string, Uint8Array]>): Uint8Array {
  const encoder = new TextEncoder();
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBytes = encoder.encode(name);
    const crc = crc32(data);
    const local = new Uint8Array(30 + nameBytes.byteLength);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, data.byteLength, true);
    lv.setUint32(22, data.byteLength, true);
    lv.setUint16(26, nameBytes.byteLength, true);
    local.set(nameBytes, 30);
    const central = new Uint8Array(46 + nameBytes.byteLength);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, data.byteLength, true);
    cv.setUint32(24, data.byteLength, true);
    cv.setUint16(28, nameBytes.byteLength, true);
    cv.setUint32(42, offset, true);
    central.set(nameBytes, 46);
    locals.push(local, data);
    centrals.push(central);
    offset += local.byteLength + data.byteLength;
  }
  const directorySize = centrals.reduce((a, c) => a + c.byteLength, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, directorySize, true);
  ev.setUint32(16, offset, true);
  return new Uint8Array(Buffer.concat([...locals, ...centrals, end]));
}

/** Builds pickle bytes opcode by opcode (protocol 2). */
export class PickleBuilder {
  private readonly parts: number[] = [0x80, 2];
  private text(s: string) {
    return [...new TextEncoder().encode(s)];
  }
  op(...bytes: number[]) {
    this.parts.push(...bytes);
    return this;
  }
  global(module: string, name: string) {
    return this.op(0x63, ...this.text(`${module}\n${name}\n`));
  }
  unicode(s: string) {
    const b = this.text(s);
    return this.op(0x58, b.length & 0xff, (b.length >> 8) & 0xff, (b.length >> 16) & 0xff, b.length >>> 24, ...b);
  }
  int(n: number) {
    return this.op(0x4a, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff);
  }
  /** LONG1: any integer up to 2^63 (sizes and strides past int32). */
  long(n: number) {
    let v = BigInt(n);
    const bytes: number[] = [];
    for (let i = 0; i < 8; i++) {
      bytes.push(Number(v & 0xffn));
      v >>= 8n;
    }
    return this.op(0x8a, 8, ...bytes);
  }
  mark() {
    return this.op(0x28);
  }
  tuple() {
    return this.op(0x74);
  }
  reduce() {
    return this.op(0x52);
  }
  emptyTuple() {
    return this.op(0x29);
  }
  stop() {
    return new Uint8Array([...this.parts, 0x2e]);
  }
}

/** A torch.save'd state dict of float32 tensors (values in PyTorch layout, row-major). */
export function torchStateDict(
  tensors: Array<{ name: string; shape: number[]; values: Float32Array }>,
  prefix = 'archive',
): Uint8Array {
  const p = new PickleBuilder().global('collections', 'OrderedDict').emptyTuple().reduce().mark();
  tensors.forEach(({ name, shape, values }, key) => {
    const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
    p.unicode(name)
      .global('torch._utils', '_rebuild_tensor_v2')
      .mark()
      .mark()
      .unicode('storage')
      .global('torch', 'FloatStorage')
      .unicode(String(key))
      .unicode('cpu')
      .int(values.length)
      .tuple()
      .op(0x51)
      .int(0)
      .mark();
    shape.forEach((d) => p.int(d));
    p.tuple().mark();
    strides.forEach((s) => p.int(s));
    p.tuple().op(0x89).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce();
  });
  const pickle = p.op(0x75).stop(); // SETITEMS
  return zipStored([
    [`${prefix}/data.pkl`, pickle],
    ...tensors.map(({ values }, key): [string, Uint8Array] => [
      `${prefix}/data/${key}`,
      new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
    ]),
    [`${prefix}/version`, new TextEncoder().encode('3\n')],
  ]);
}

/**
 * A .pt whose state dict holds one tensor `name`: a view (size, stride, offset) of a float32
 * storage of `storageValues` elements — how a hostile file describes more values than it holds.
 */
export function torchView(
  name: string,
  size: number[],
  stride: number[],
  storageValues: number,
  offset = 0,
): Uint8Array {
  const p = new PickleBuilder().global('collections', 'OrderedDict').emptyTuple().reduce().mark();
  p.unicode(name)
    .global('torch._utils', '_rebuild_tensor_v2')
    .mark()
    .mark()
    .unicode('storage')
    .global('torch', 'FloatStorage')
    .unicode('0')
    .unicode('cpu')
    .int(storageValues)
    .tuple()
    .op(0x51)
    .int(offset)
    .mark();
  size.forEach((d) => p.long(d));
  p.tuple().mark();
  stride.forEach((s) => p.long(s));
  p.tuple().op(0x89).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce();
  const storage = Float32Array.from({ length: storageValues }, (_, i) => i + 1);
  return zipStored([
    ['archive/data.pkl', p.op(0x75).stop()],
    ['archive/data/0', new Uint8Array(storage.buffer)],
    ['archive/version', new TextEncoder().encode('3\n')],
  ]);
}
