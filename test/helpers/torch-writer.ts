/**
 * Test-only writers for PyTorch-format files, written from the format's description (zip of
 * stored entries: <prefix>/data.pkl, <prefix>/data/<key>, <prefix>/version), to build large or
 * hostile checkpoints without Python.
 */
import { crc32 } from 'node:zlib';

/** A little-endian field of a zip header: offset, value, width in bytes. */
type Field = [offset: number, value: number, bytes: 2 | 4];

/** A zip header: its signature, the fields at their offsets in `size` bytes, then the name. */
function zipHeader(signature: number, size: number, fields: Field[], name = new Uint8Array()): Uint8Array {
  const header = new Uint8Array(size + name.byteLength);
  const view = new DataView(header.buffer);
  view.setUint32(0, signature, true);
  for (const [offset, value, bytes] of fields)
    if (bytes === 2) view.setUint16(offset, value, true);
    else view.setUint32(offset, value, true);
  header.set(name, size);
  return header;
}

/** A zip archive of stored (uncompressed) entries. */
export function zipStored(entries: Array<[string, Uint8Array]>): Uint8Array {
  const encoder = new TextEncoder();
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBytes = encoder.encode(name);
    const crc = crc32(data);
    // Version 20; the CRC, the compressed and the uncompressed size (equal: stored); the name's length.
    const sizes: Field[] = [
      [0, crc, 4],
      [4, data.byteLength, 4],
      [8, data.byteLength, 4],
      [12, nameBytes.byteLength, 2],
    ];
    const at = (base: number): Field[] => sizes.map(([o, v, b]) => [base + o, v, b]);
    const local = zipHeader(0x04034b50, 30, [[4, 20, 2], ...at(14)], nameBytes);
    const central = zipHeader(0x02014b50, 46, [[4, 20, 2], [6, 20, 2], ...at(16), [42, offset, 4]], nameBytes);
    locals.push(local, data);
    centrals.push(central);
    offset += local.byteLength + data.byteLength;
  }
  const directorySize = centrals.reduce((a, c) => a + c.byteLength, 0);
  const end = zipHeader(0x06054b50, 22, [
    [8, entries.length, 2],
    [10, entries.length, 2],
    [12, directorySize, 4],
    [16, offset, 4],
  ]);
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

/**
 * Appends `name` → a float32 tensor: a view (size, stride, offset) of storage `key` of `storageValues`
 * elements, sizes and strides as INT (4 bytes) or LONG1 (past int32).
 */
function tensorEntry(
  p: PickleBuilder,
  name: string,
  key: string,
  storageValues: number,
  view: { size: number[]; stride: number[]; offset: number; integer: 'int' | 'long' },
): void {
  p.unicode(name)
    .global('torch._utils', '_rebuild_tensor_v2')
    .mark()
    .mark()
    .unicode('storage')
    .global('torch', 'FloatStorage')
    .unicode(key)
    .unicode('cpu')
    .int(storageValues)
    .tuple()
    .op(0x51)
    .int(view.offset)
    .mark();
  view.size.forEach((d) => p[view.integer](d));
  p.tuple().mark();
  view.stride.forEach((s) => p[view.integer](s));
  p.tuple().op(0x89).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce();
}

/** A torch.save'd state dict of float32 tensors (values in PyTorch layout, row-major). */
export function torchStateDict(
  tensors: Array<{ name: string; shape: number[]; values: Float32Array }>,
  prefix = 'archive',
): Uint8Array {
  const p = new PickleBuilder().global('collections', 'OrderedDict').emptyTuple().reduce().mark();
  tensors.forEach(({ name, shape, values }, key) => {
    const stride = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
    tensorEntry(p, name, String(key), values.length, { size: shape, stride, offset: 0, integer: 'int' });
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
 * `before`: integer (non-tensor) entries written ahead of the tensor.
 */
export function torchView(
  name: string,
  size: number[],
  stride: number[],
  storageValues: number,
  offset = 0,
  before: Array<[key: string, value: number]> = [],
): Uint8Array {
  const p = new PickleBuilder().global('collections', 'OrderedDict').emptyTuple().reduce().mark();
  for (const [key, value] of before) p.unicode(key).int(value);
  tensorEntry(p, name, '0', storageValues, { size, stride, offset, integer: 'long' });
  const storage = Float32Array.from({ length: storageValues }, (_, i) => i + 1);
  return zipStored([
    ['archive/data.pkl', p.op(0x75).stop()],
    ['archive/data/0', new Uint8Array(storage.buffer)],
    ['archive/version', new TextEncoder().encode('3\n')],
  ]);
}
