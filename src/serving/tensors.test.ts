import { describe, expect, it } from 'vitest';
import { MlxError } from '../core/errors.js';
import { ELEMENT_TYPES, flatten, nest, toNumbers, toTypedArray, typeOfV2 } from './tensors.js';

const refused = (fn: () => unknown, ...mentions: string[]) => {
  let err: unknown;
  let result: unknown;
  try {
    result = fn();
  } catch (e) {
    err = e;
  }
  expect(err, `expected a refusal, got ${result instanceof Object ? `${result.constructor.name} [${String(result)}]` : String(result)}`).toBeInstanceOf(
    MlxError,
  );
  expect((err as MlxError).code).toBe('INVALID_PARAMETER_VALUE');
  for (const m of mentions) expect((err as Error).message).toContain(m);
};

describe('flatten', () => {
  it('returns the values in row-major order and the shape', () => {
    expect(
      flatten(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        'x',
        3,
      ),
    ).toEqual({ values: [1, 2, 3, 4, 5, 6], shape: [2, 3] });
    expect(
      flatten(
        [
          [[1], [2]],
          [[3], [4]],
        ],
        'x',
        3,
      ),
    ).toEqual({ values: [1, 2, 3, 4], shape: [2, 2, 1] });
    expect(flatten([7, 8], 'x', 3)).toEqual({ values: [7, 8], shape: [2] });
  });

  it('a scalar has shape []; empty arrays have a 0 dimension', () => {
    expect(flatten(5, 'x', 3)).toEqual({ values: [5], shape: [] });
    expect(flatten([], 'x', 3)).toEqual({ values: [], shape: [0] });
    expect(flatten([[], []], 'x', 3)).toEqual({ values: [], shape: [2, 0] });
  });

  it('refuses ragged arrays, naming the input', () => {
    refused(() => flatten([[1, 2], [3]], 'input "x"', 3), 'input "x"', 'ragged');
    refused(() => flatten([[1, 2], 3], 'input "x"', 3), 'ragged');
    refused(() => flatten([1, [2]], 'input "x"', 3), 'ragged');
    refused(() => flatten([[[1, 2]], [[3]]], 'input "x"', 3), 'ragged');
  });

  it('refuses lists nested deeper than the rank allows, without walking them (a million deep is a 400, not a stack overflow)', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 1_000_000; i++) deep = [deep];
    refused(() => flatten(deep, 'input "x"', 2), 'input "x"', 'nested more than 4 lists deep', '2 dimensions');
    // A little deeper than the rank passes here: the shape check then names the expected shape.
    expect(flatten([[[[1]]]], 'x', 2).shape).toEqual([1, 1, 1, 1]);
    refused(() => flatten([[[[[1]]]]], 'x', 2), 'nested more than 4');
    // A deep list as a leaf of a shallow one is ragged, found without recursing into it.
    refused(() => flatten([1, deep], 'x', 1), 'ragged');
  });

  it('does not check element types (toTypedArray does)', () => {
    expect(flatten([['a', null]], 'x', 3)).toEqual({ values: ['a', null], shape: [1, 2] });
  });
});

describe('nest', () => {
  it('is the inverse of flatten', () => {
    for (const v of [
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      [
        [[1], [2]],
        [[3], [4]],
      ],
      [1, 2, 3],
      [[1, 2]],
    ]) {
      const { values, shape } = flatten(v, 'x', 3);
      expect(nest(values as number[], shape)).toEqual(v);
    }
  });

  it('splits a flat list into rows and deeper', () => {
    expect(nest([1, 2, 3, 4, 5, 6], [3, 2])).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(nest([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2])).toEqual([
      [
        [1, 2],
        [3, 4],
      ],
      [
        [5, 6],
        [7, 8],
      ],
    ]);
    expect(nest([], [0, 3])).toEqual([]);
    expect(nest([1, 2], [2])).toEqual([1, 2]);
  });
});

describe('toTypedArray', () => {
  it('makes the typed array of each ONNX element type', () => {
    expect(toTypedArray('float32', [1.5, -2], 'x')).toEqual(Float32Array.from([1.5, -2]));
    expect(toTypedArray('float64', [0.1], 'x')).toEqual(Float64Array.from([0.1]));
    expect(toTypedArray('int32', [3, -4], 'x')).toEqual(Int32Array.from([3, -4]));
    expect(toTypedArray('uint8', [0, 255], 'x')).toEqual(Uint8Array.from([0, 255]));
    expect(toTypedArray('int8', [-128, 127], 'x')).toEqual(Int8Array.from([-128, 127]));
    expect(toTypedArray('int16', [-3], 'x')).toBeInstanceOf(Int16Array);
    expect(toTypedArray('uint16', [65535], 'x')).toEqual(Uint16Array.from([65535]));
  });

  it('int64 becomes a BigInt64Array, exact up to 2^53', () => {
    const t = toTypedArray('int64', [1, -2, 2 ** 53 - 1], 'x');
    expect(t).toBeInstanceOf(BigInt64Array);
    expect(Array.from(t as BigInt64Array)).toEqual([1n, -2n, 9007199254740991n]);
  });

  it('bool takes true/false (and 0/1) as a Uint8Array', () => {
    expect(toTypedArray('bool', [true, false, 1, 0], 'x')).toEqual(Uint8Array.from([1, 0, 1, 0]));
  });

  it('refuses values that are not numbers, naming the input, the position and the type', () => {
    refused(() => toTypedArray('float32', [1, 'a'], 'input "features"'), 'input "features"', '"a"', 'position 1', 'float32');
    refused(() => toTypedArray('float32', [null], 'x'), 'null');
    refused(() => toTypedArray('float32', [[1]], 'x'), 'position 0');
    refused(() => toTypedArray('float32', [true], 'x'), 'true');
    // A deep list in an error message: described by kind, never JSON.stringify'd (which overflows the stack).
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    refused(() => toTypedArray('float32', [deep], 'x'), 'a list of 1', 'position 0');
    refused(() => toTypedArray('float32', ['y'.repeat(10_000)], 'x'), '"yyyyyyyyyy');
    expect(() => toTypedArray('float32', ['y'.repeat(10_000)], 'x')).toThrow(/^.{0,120}$/);
  });

  it('refuses values that are not finite or do not fit float32, naming the place the caller gives', () => {
    const at = (i: number) => `row ${Math.floor(i / 2)}, column ${i % 2}`;
    refused(() => toTypedArray('float32', [1, 2, 3, Infinity], 'input "f"', at), 'input "f", row 1, column 1', 'Infinity', 'out of range');
    refused(() => toTypedArray('float64', [-Infinity], 'x'), '-Infinity');
    refused(() => toTypedArray('float32', [1e39], 'x'), '1e+39', 'float32');
    refused(() => toTypedArray('float32', [NaN], 'x'), 'NaN', 'not a number');
    expect(toTypedArray('float64', [1e39], 'x')).toEqual(Float64Array.from([1e39]));
    expect(toTypedArray('float32', [3.4e38, -3.4e38], 'x')[0]).toBeCloseTo(3.4e38, -32);
  });

  it('refuses fractions for integer types', () => {
    refused(() => toTypedArray('int64', [1, 2.5], 'x'), '2.5', 'an integer', 'int64');
    refused(() => toTypedArray('int32', [NaN], 'x'), 'an integer');
    refused(() => toTypedArray('uint8', [0.5], 'x'), 'uint8');
  });

  it('refuses integers that do not fit the element type instead of wrapping them', () => {
    refused(() => toTypedArray('uint8', [300], 'x'), '300', 'uint8');
    refused(() => toTypedArray('uint8', [-1], 'x'), '-1', 'uint8');
    refused(() => toTypedArray('int8', [200], 'x'), '200', 'int8');
    refused(() => toTypedArray('int32', [2 ** 31], 'x'), String(2 ** 31), 'int32');
  });

  it('refuses element types it cannot serve', () => {
    refused(() => toTypedArray('string', ['a'], 'input "s"'), 'string', 'not supported');
    refused(() => toTypedArray('float16', [1], 'x'), 'float16');
  });
});

describe('toNumbers and typeOfV2', () => {
  it('toNumbers turns BigInts into numbers', () => {
    expect(toNumbers(BigInt64Array.from([5n, -7n]))).toEqual([5, -7]);
    expect(toNumbers(Float32Array.from([0.5, 2]))).toEqual([0.5, 2]);
  });

  it('maps Open Inference Protocol datatypes to ONNX types and back', () => {
    expect(typeOfV2('FP32')).toBe('float32');
    expect(typeOfV2('FP64')).toBe('float64');
    expect(typeOfV2('INT64')).toBe('int64');
    expect(typeOfV2('INT32')).toBe('int32');
    expect(typeOfV2('BOOL')).toBe('bool');
    expect(typeOfV2('UINT8')).toBe('uint8');
    expect(typeOfV2('fp32')).toBeUndefined();
    expect(typeOfV2('BYTES')).toBeUndefined();
    for (const [type, t] of Object.entries(ELEMENT_TYPES)) if (type !== 'bool') expect(typeOfV2(t.v2)).toBe(type);
  });
});
