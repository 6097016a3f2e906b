// Minimal protobuf wire format (https://protobuf.dev/programming-guides/encoding/), enough to
// write and read ONNX models without a protobuf dependency or a generated schema.
import { MlxError } from '../../core/errors.js';

export const WireType = { VARINT: 0, I64: 1, LEN: 2, I32: 5 } as const;
export type WireTypeValue = (typeof WireType)[keyof typeof WireType];

/** A decoded field. VARINT `value` is the int64 two's-complement value (exact within ±2^53); I32/I64 `value` is the unsigned integer in the bits, `bytes` the raw little-endian bytes; LEN `bytes` is a view into the input (never a copy). */
export interface ProtoField {
  field: number;
  wireType: WireTypeValue;
  value: number;
  bytes: Uint8Array;
  /** Offset of the field's tag in the decoded buffer, for error messages. */
  offset: number;
}

/** A wire-format error; `reason` tells a buffer that ends too early from one that is not protobuf. */
export class ProtobufError extends MlxError {
  readonly reason: 'truncated' | 'malformed';
  readonly offset: number;
  constructor(reason: 'truncated' | 'malformed', offset: number, message: string) {
    super('INVALID_PARAMETER_VALUE', message);
    this.reason = reason;
    this.offset = offset;
  }
}

const TWO_32 = 4294967296;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const EMPTY = new Uint8Array(0);
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');

/** Growable buffer writing protobuf fields in the order they are called. */
export class ProtoWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private rawVarint(v: number | bigint): void {
    this.ensure(10);
    if (typeof v === 'number') {
      if (!Number.isInteger(v)) throw new MlxError('INVALID_PARAMETER_VALUE', `protobuf varint ${v} is not an integer`);
      // Negative int64s are 10-byte two's complement; unsafe magnitudes need bigint arithmetic to keep exact bits.
      if (v < 0 || v > Number.MAX_SAFE_INTEGER) return this.rawVarint(BigInt(v));
      while (v >= 0x80) {
        this.buf[this.len++] = (v % 0x80) | 0x80;
        v = Math.floor(v / 0x80);
      }
      this.buf[this.len++] = v;
      return;
    }
    let u = BigInt.asUintN(64, v);
    while (u >= 0x80n) {
      this.buf[this.len++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.len++] = Number(u);
  }

  private tag(field: number, wireType: WireTypeValue): void {
    if (!Number.isInteger(field) || field < 1 || field > 0x1fffffff) {
      throw new MlxError('INVALID_PARAMETER_VALUE', `protobuf field number ${field} is out of range 1..536870911`);
    }
    this.rawVarint(field * 8 + wireType);
  }

  /** int32/int64/uint64/enum/bool field; negative values use 10 bytes, as protobuf's int64 does. */
  varint(field: number, v: number | bigint | boolean): this {
    this.tag(field, WireType.VARINT);
    this.rawVarint(typeof v === 'boolean' ? (v ? 1 : 0) : v);
    return this;
  }

  fixed32(field: number, v: number): this {
    this.tag(field, WireType.I32);
    this.ensure(4);
    new DataView(this.buf.buffer).setUint32(this.len, v >>> 0, true);
    this.len += 4;
    return this;
  }

  fixed64(field: number, v: bigint): this {
    this.tag(field, WireType.I64);
    this.ensure(8);
    new DataView(this.buf.buffer).setBigUint64(this.len, BigInt.asUintN(64, v), true);
    this.len += 8;
    return this;
  }

  float(field: number, v: number): this {
    this.tag(field, WireType.I32);
    this.ensure(4);
    new DataView(this.buf.buffer).setFloat32(this.len, v, true);
    this.len += 4;
    return this;
  }

  double(field: number, v: number): this {
    this.tag(field, WireType.I64);
    this.ensure(8);
    new DataView(this.buf.buffer).setFloat64(this.len, v, true);
    this.len += 8;
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.tag(field, WireType.LEN);
    this.rawVarint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, utf8Encoder.encode(s));
  }

  /** Embedded message (a finished writer or its bytes). */
  message(field: number, m: ProtoWriter | Uint8Array): this {
    return this.bytes(field, m instanceof ProtoWriter ? m.view() : m);
  }

  packedFloats(field: number, values: ArrayLike<number>): this {
    return this.bytes(field, float32Bytes(values));
  }

  packedDoubles(field: number, values: ArrayLike<number>): this {
    const f64 = values instanceof Float64Array ? values : Float64Array.from(values);
    return this.bytes(field, littleEndianBytes(f64, 8));
  }

  /** Packed repeated int64/int32/uint64/bool (varint-encoded). */
  packedVarints(field: number, values: ArrayLike<number | bigint>): this {
    const inner = new ProtoWriter();
    for (let i = 0; i < values.length; i++) inner.rawVarint(values[i]);
    return this.bytes(field, inner.view());
  }

  /** The bytes written so far, as a view that later writes may invalidate. */
  view(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  /** A copy of the bytes written. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** Little-endian float32 bytes of `values` (ONNX raw_data layout). */
export function float32Bytes(values: ArrayLike<number>): Uint8Array {
  const f32 = values instanceof Float32Array ? values : Float32Array.from(values);
  return littleEndianBytes(f32, 4);
}

/** Little-endian bytes of a typed array: a copy of its memory on little-endian hosts, byte-swapped elsewhere. */
export function littleEndianBytes(arr: ArrayBufferView, elementSize: number): Uint8Array {
  const out = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength).slice();
  if (!LITTLE_ENDIAN) {
    for (let i = 0; i < out.length; i += elementSize) out.subarray(i, i + elementSize).reverse();
  }
  return out;
}

class Cursor {
  constructor(
    readonly buf: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {}

  /** Unsigned varint as lo/hi 32-bit halves, so that 64-bit values keep their bits. */
  varint(): [number, number] {
    const start = this.pos;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) {
        throw new ProtobufError('truncated', start, `protobuf varint at offset ${start} runs past the end (${this.end} bytes)`);
      }
      const b = this.buf[this.pos++];
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi = (b & 0x7f) >> 4;
      } else hi |= (b & 0x7f) << (7 * i - 32);
      if (b < 0x80) return [lo >>> 0, hi >>> 0];
    }
    throw new ProtobufError('malformed', start, `protobuf varint at offset ${start} is longer than 10 bytes`);
  }

  unsigned(): number {
    const [lo, hi] = this.varint();
    return hi * TWO_32 + lo;
  }
}

const signed = (lo: number, hi: number): number => (hi | 0) * TWO_32 + lo;

/** Iterates the fields of one message; throws ProtobufError on truncation or bytes that are not protobuf. */
export function* protoFields(buf: Uint8Array): Generator<ProtoField> {
  const c = new Cursor(buf, 0, buf.length);
  while (c.pos < c.end) {
    const offset = c.pos;
    const key = c.unsigned();
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    if (field < 1 || field > 0x1fffffff) {
      throw new ProtobufError('malformed', offset, `protobuf field number ${field} at offset ${offset} is invalid`);
    }
    if (wireType === WireType.VARINT) {
      const [lo, hi] = c.varint();
      yield { field, wireType, value: signed(lo, hi), bytes: EMPTY, offset };
    } else if (wireType === WireType.LEN) {
      const len = c.unsigned();
      if (len > c.end - c.pos) {
        throw new ProtobufError('truncated', offset, `protobuf field ${field} at offset ${offset} has length ${len} but only ${c.end - c.pos} bytes remain`);
      }
      const bytes = buf.subarray(c.pos, c.pos + len);
      c.pos += len;
      yield { field, wireType, value: len, bytes, offset };
    } else if (wireType === WireType.I32 || wireType === WireType.I64) {
      const size = wireType === WireType.I32 ? 4 : 8;
      if (size > c.end - c.pos) {
        throw new ProtobufError('truncated', offset, `protobuf field ${field} at offset ${offset} runs past the end`);
      }
      const bytes = buf.subarray(c.pos, c.pos + size);
      c.pos += size;
      const lo = (bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24)) >>> 0;
      const hi = size === 8 ? (bytes[4] | (bytes[5] << 8) | (bytes[6] << 16) | (bytes[7] << 24)) >>> 0 : 0;
      yield { field, wireType, value: hi * TWO_32 + lo, bytes, offset };
    } else {
      // Groups (3, 4) are deprecated and unused by ONNX; 6 and 7 do not exist.
      throw new ProtobufError('malformed', offset, `protobuf wire type ${wireType} at offset ${offset} is not supported`);
    }
  }
}

/** All fields of one message, in order. */
export function decodeFields(buf: Uint8Array): ProtoField[] {
  return [...protoFields(buf)];
}

/** The float of an I32 field. */
export function fieldFloat32(f: ProtoField): number {
  return new DataView(f.bytes.buffer, f.bytes.byteOffset, 4).getFloat32(0, true);
}

/** The double of an I64 field. */
export function fieldFloat64(f: ProtoField): number {
  return new DataView(f.bytes.buffer, f.bytes.byteOffset, 8).getFloat64(0, true);
}

/** UTF-8 text of a LEN field. */
export function fieldString(f: ProtoField): string {
  return utf8Decoder.decode(f.bytes);
}

/** Packed repeated float payload. */
export function decodePackedFloats(bytes: Uint8Array): Float32Array {
  if (bytes.length % 4 !== 0) throw new ProtobufError('malformed', 0, `packed floats of ${bytes.length} bytes (not a multiple of 4)`);
  const out = new Float32Array(bytes.length / 4);
  new Uint8Array(out.buffer).set(bytes);
  if (!LITTLE_ENDIAN) {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(i * 4, true);
  }
  return out;
}

/** Packed repeated varint payload as numbers (int64 semantics, exact within ±2^53). */
export function decodePackedVarints(bytes: Uint8Array): number[] {
  const c = new Cursor(bytes, 0, bytes.length);
  const out: number[] = [];
  while (c.pos < c.end) {
    const [lo, hi] = c.varint();
    out.push(signed(lo, hi));
  }
  return out;
}

/** Packed repeated int64 payload, exact. */
export function decodePackedInt64(bytes: Uint8Array): BigInt64Array {
  const c = new Cursor(bytes, 0, bytes.length);
  const out: bigint[] = [];
  while (c.pos < c.end) {
    const [lo, hi] = c.varint();
    out.push(BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo)));
  }
  return BigInt64Array.from(out);
}
