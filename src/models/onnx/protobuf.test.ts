import { describe, it, expect } from 'vitest';
import { MlxError } from '../../core/errors.js';
import { createRng } from './prng.js';
import {
  ProtoWriter,
  ProtobufError,
  WireType,
  decodeFields,
  decodePackedFloats,
  decodePackedInt64,
  decodePackedVarints,
  fieldFloat32,
  fieldFloat64,
  fieldString,
} from './protobuf.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function sample(): Uint8Array {
  const inner = new ProtoWriter().string(1, 'inner').varint(2, 7);
  return new ProtoWriter()
    .varint(1, 150)
    .string(2, 'testing')
    .float(3, 1.5)
    .double(4, -2.25)
    .fixed32(5, 0xdeadbeef)
    .fixed64(6, 0x0123456789abcdefn)
    .message(7, inner)
    .packedFloats(8, [0.5, -1, 3.25])
    .packedVarints(9, [1n, -1n, 9007199254740993n, -9223372036854775808n])
    .varint(536870911, -5)
    .finish();
}

describe('protobuf wire format', () => {
  it('encodes like the protobuf documentation examples', () => {
    expect(hex(new ProtoWriter().varint(1, 150).finish())).toBe('089601');
    expect(hex(new ProtoWriter().string(2, 'testing').finish())).toBe('120774657374696e67');
    expect(hex(new ProtoWriter().varint(1, -1).finish())).toBe('08ffffffffffffffffff01');
    expect(hex(new ProtoWriter().packedVarints(4, [3, 270, 86942]).finish())).toBe('2206038e029ea705');
  });

  it('round-trips every wire type', () => {
    const f = decodeFields(sample());
    expect(f.map((x) => [x.field, x.wireType])).toEqual([
      [1, WireType.VARINT],
      [2, WireType.LEN],
      [3, WireType.I32],
      [4, WireType.I64],
      [5, WireType.I32],
      [6, WireType.I64],
      [7, WireType.LEN],
      [8, WireType.LEN],
      [9, WireType.LEN],
      [536870911, WireType.VARINT],
    ]);
    expect(f[0].value).toBe(150);
    expect(fieldString(f[1])).toBe('testing');
    expect(fieldFloat32(f[2])).toBe(1.5);
    expect(fieldFloat64(f[3])).toBe(-2.25);
    expect(f[4].value).toBe(0xdeadbeef);
    expect(hex(f[5].bytes)).toBe('efcdab8967452301');
    const inner = decodeFields(f[6].bytes);
    expect([fieldString(inner[0]), inner[1].value]).toEqual(['inner', 7]);
    expect(Array.from(decodePackedFloats(f[7].bytes))).toEqual([0.5, -1, 3.25]);
    expect(Array.from(decodePackedInt64(f[8].bytes))).toEqual([1n, -1n, 9007199254740993n, -9223372036854775808n]);
    expect(f[9].value).toBe(-5);
  });

  it('round-trips varints across the 64-bit range', () => {
    const values = [0, 1, 127, 128, 300, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, -1, -(2 ** 31), -(2 ** 53 - 1)];
    const w = new ProtoWriter();
    for (const v of values) w.varint(1, v);
    expect(decodeFields(w.finish()).map((x) => x.value)).toEqual(values);
    expect(decodePackedVarints(decodeFields(new ProtoWriter().packedVarints(1, values).finish())[0].bytes)).toEqual(values);
    const big = [2n ** 63n - 1n, -(2n ** 63n), 123456789012345678n];
    const payload = decodeFields(new ProtoWriter().packedVarints(1, big).finish())[0].bytes;
    expect(Array.from(decodePackedInt64(payload))).toEqual(big);
    expect(() => new ProtoWriter().varint(1, 1.5)).toThrow(MlxError);
    expect(() => new ProtoWriter().varint(0, 1)).toThrow(/field number 0/);
  });

  it('returns LEN payloads as views, not copies', () => {
    const buf = sample();
    const f = decodeFields(buf)[1];
    expect(f.bytes.buffer).toBe(buf.buffer);
    expect(f.bytes.byteOffset).toBeGreaterThan(0);
  });

  it('grows its buffer for large payloads', () => {
    const big = new Float32Array(100_000).map((_, i) => i);
    const [f] = decodeFields(new ProtoWriter().packedFloats(1, big).finish());
    expect(decodePackedFloats(f.bytes)).toEqual(big);
  });

  it('reports every truncation as a clean "truncated" error', () => {
    const buf = sample();
    let truncations = 0;
    for (let cut = 0; cut < buf.length; cut++) {
      try {
        decodeFields(buf.subarray(0, cut));
      } catch (err) {
        expect(err).toBeInstanceOf(ProtobufError);
        expect(err).toBeInstanceOf(MlxError);
        expect((err as ProtobufError).reason).toBe('truncated');
        expect((err as MlxError).code).toBe('INVALID_PARAMETER_VALUE');
        truncations++;
      }
    }
    // Cuts at the 10 field boundaries parse (as fewer fields); every other cut is a truncation.
    expect(truncations).toBe(buf.length - 10);
  });

  it('rejects bytes that are not protobuf', () => {
    const bad = (bytes: number[], pattern: RegExp) => {
      const err = (() => {
        try {
          decodeFields(Uint8Array.from(bytes));
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(ProtobufError);
      expect((err as Error).message).toMatch(pattern);
    };
    bad([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], /longer than 10 bytes/);
    bad([0x0b], /wire type 3/);
    bad([0x0e], /wire type 6/);
    bad([0x0f], /wire type 7/);
    bad([0x00, 0x00], /field number 0/);
    bad([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f], /length 4294967295 but only 0 bytes remain/);
    bad([0x0d, 0x01, 0x02], /runs past the end/);
    expect(() => decodePackedFloats(new Uint8Array(5))).toThrow(/not a multiple of 4/);
  });

  it('terminates with an MlxError or a result on random garbage', () => {
    const rng = createRng(42);
    for (let trial = 0; trial < 2000; trial++) {
      const buf = Uint8Array.from({ length: 1 + rng.int(64) }, () => rng.int(256));
      try {
        for (const f of decodeFields(buf)) {
          if (f.wireType === WireType.LEN) decodeFields(f.bytes);
        }
      } catch (err) {
        expect(err).toBeInstanceOf(ProtobufError);
      }
    }
  });
});
