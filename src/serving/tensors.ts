import { invalid } from '../core/errors.js';
import { describeValue } from './cells.js';
import type { PixelScaling } from './pixels.js';

export type NumericArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array | Int16Array | Uint16Array;

/** A tensor as mlx passes it around: ONNX element type, flat data, dimensions. */
export interface Tensor {
  type: string;
  data: NumericArray;
  dims: number[];
  /** Set when data holds packed 8-bit pixels that the inference thread scales into this float tensor. */
  pixels?: PixelScaling;
}

/** ONNX element types mlx serves, with their typed arrays and Open Inference Protocol datatypes. */
export const ELEMENT_TYPES: Record<string, { array: new (n: number) => NumericArray; v2: string }> = {
  float32: { array: Float32Array, v2: 'FP32' },
  float64: { array: Float64Array, v2: 'FP64' },
  int32: { array: Int32Array, v2: 'INT32' },
  int64: { array: BigInt64Array, v2: 'INT64' },
  uint8: { array: Uint8Array, v2: 'UINT8' },
  int8: { array: Int8Array, v2: 'INT8' },
  int16: { array: Int16Array, v2: 'INT16' },
  uint16: { array: Uint16Array, v2: 'UINT16' },
  bool: { array: Uint8Array, v2: 'BOOL' },
};

/** The ONNX type for an Open Inference Protocol datatype, or undefined. */
export function typeOfV2(datatype: string): string | undefined {
  return Object.entries(ELEMENT_TYPES).find(([, t]) => t.v2 === datatype)?.[0];
}

const INT_RANGES: Record<string, [number, number]> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  bool: [0, 1],
};

/** The largest finite float32: a larger number would become Infinity in the tensor. */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * A flat typed array of the given ONNX type from JS numbers (or booleans), refusing what does not
 * fit: not a number, not finite, not an integer for integer types, out of the type's range. `at`
 * names a flat index's place (row and column) for the message.
 */
export function toTypedArray(type: string, values: ArrayLike<unknown>, what: string, at: (i: number) => string = (i) => `position ${i}`): NumericArray {
  const t = ELEMENT_TYPES[type];
  if (!t) throw invalid(`${what}: element type ${type} is not supported for serving`);
  const out = new t.array(values.length);
  const isInt = type !== 'float32' && type !== 'float64';
  const range = INT_RANGES[type];
  for (let i = 0; i < values.length; i++) {
    let v = values[i];
    if (typeof v === 'boolean' && type === 'bool') v = v ? 1 : 0;
    if (typeof v !== 'number' || (isInt && !Number.isInteger(v)) || !Number.isFinite(v)) {
      const infinite = v === Infinity || v === -Infinity;
      const why = infinite ? 'is out of range (not a finite number)' : `is not ${isInt ? 'an integer' : 'a number'}`;
      throw invalid(`${what}, ${at(i)}: ${describeValue(v)} ${why} (the input is ${type})`);
    }
    // Typed arrays would wrap 300 into a uint8, or turn 1e39 into a float32 Infinity, silently: a wrong answer instead of an error.
    if (range ? v < range[0] || v > range[1] : type === 'float32' && Math.abs(v) > FLOAT32_MAX)
      throw invalid(
        `${what}, ${at(i)}: ${v} does not fit ${type} (${range ? `${range[0]} to ${range[1]}` : `at most ${FLOAT32_MAX.toPrecision(5)} in magnitude`})`,
      );
    if (out instanceof BigInt64Array) out[i] = BigInt(v);
    else out[i] = v;
  }
  return out;
}

/** Plain numbers from a typed array (BigInts become numbers), for JSON responses. */
export function toNumbers(data: ArrayLike<number | bigint>): number[] {
  const out = new Array<number>(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  return out;
}

/** How much deeper than the input's rank nested lists may go before they are refused unread (deeper ones get the shape message). */
export const NEST_SLACK = 2;

/**
 * Flattens a nested JSON array, returning the values and the shape it had (refusing ragged arrays).
 * Lists nested deeper than the input's rank (+ NEST_SLACK) are refused before they are walked:
 * JSON.parse builds a list nested a million deep without trouble, a recursive walk would overflow.
 */
export function flatten(value: unknown, what: string, rank: number): { values: unknown[]; shape: number[] } {
  const maxDepth = rank + NEST_SLACK;
  const shape: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe)) {
    if (shape.length === maxDepth)
      throw invalid(`${what}: the data is nested more than ${maxDepth} lists deep; the input has ${rank} dimension${rank === 1 ? '' : 's'}`);
    shape.push(probe.length);
    probe = probe[0];
  }
  const values: unknown[] = [];
  // Recursion depth is at most shape.length (≤ maxDepth): anything deeper is a leaf that is a list, refused below.
  const walk = (v: unknown, depth: number) => {
    if (depth === shape.length) {
      if (Array.isArray(v)) throw invalid(`${what}: the nested arrays are ragged (deeper than the first element's)`);
      values.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth])
      throw invalid(`${what}: the nested arrays are ragged (expected ${shape[depth]} elements at depth ${depth})`);
    for (const x of v) walk(x, depth + 1);
  };
  walk(value, 0);
  return { values, shape };
}

/** Nests a flat array into the given shape, for JSON responses. */
export function nest(flat: number[], shape: number[]): unknown {
  if (shape.length <= 1) return flat;
  const [first, ...rest] = shape;
  const size = rest.reduce((a, b) => a * b, 1);
  const out = new Array(first);
  for (let i = 0; i < first; i++) out[i] = nest(flat.slice(i * size, (i + 1) * size), rest);
  return out;
}
