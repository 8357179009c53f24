/**
 * The few Protocol Buffers encodings an ONNX model needs (varints, length-delimited fields,
 * packed repeated numbers), written into a growing byte buffer. Writing only: weightscape builds
 * the graphs onnxruntime runs itself; importing an exported model (src/onnx-import/) reads with protobufjs.
 */

const WIRE_VARINT = 0;
const WIRE_LENGTH = 2;

export class ProtobufWriter {
  private bytes = new Uint8Array(1024);
  private length = 0;

  private reserve(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + extra));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  /** An unsigned varint; negative int64 values take ten bytes (two's complement), as protobuf says. */
  private varint(value: number): void {
    this.reserve(10);
    let big = BigInt.asUintN(64, BigInt(value));
    while (big >= 0x80n) {
      this.bytes[this.length++] = Number(big & 0x7fn) | 0x80;
      big >>= 7n;
    }
    this.bytes[this.length++] = Number(big);
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  int(field: number, value: number): this {
    this.tag(field, WIRE_VARINT);
    this.varint(value);
    return this;
  }

  bytesField(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LENGTH);
    this.varint(value.length);
    this.reserve(value.length);
    this.bytes.set(value, this.length);
    this.length += value.length;
    return this;
  }

  string(field: number, value: string): this {
    return this.bytesField(field, new TextEncoder().encode(value));
  }

  message(field: number, write: (inner: ProtobufWriter) => void): this {
    const inner = new ProtobufWriter();
    write(inner);
    return this.bytesField(field, inner.finish());
  }

  packedInts(field: number, values: readonly number[]): this {
    const inner = new ProtobufWriter();
    for (const v of values) inner.varint(v);
    return this.bytesField(field, inner.finish());
  }

  /** A 32-bit float (wire type 5). */
  float(field: number, value: number): this {
    this.tag(field, 5);
    this.reserve(4);
    new DataView(this.bytes.buffer).setFloat32(this.length, value, true);
    this.length += 4;
    return this;
  }

  finish(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}
