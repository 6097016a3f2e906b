// Writes real ONNX models (ModelProto) for tests and examples. Field numbers: onnx/onnx.proto.
import { MlxError } from '../../core/errors.js';
import { ELEMENT_TYPES, type ElementType } from './model-info.js';
import { ProtoWriter, float32Bytes, littleEndianBytes } from './protobuf.js';

/** A dimension: a fixed size, a symbolic name ('batch') for a dynamic one, or null for an unnamed dynamic one. */
export type Dim = number | string | null;

/**
 * Attribute values. Plain numbers are INT (ONNX's axis, transB, pads… are ints) and number[] are INTS;
 * floats must be wrapped ({ float: 1 }, { floats: [...] }) because 1.0 and 1 are the same JS number.
 */
export type AttrValue = number | string | number[] | { float: number } | { floats: number[] } | { int: number } | { ints: number[] };

export interface ToBytesOptions {
  irVersion?: number;
  opset?: number;
  /** More operator sets, e.g. { domain: 'ai.onnx.ml', version: 3 }. */
  extraOpsets?: { domain: string; version: number }[];
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  metadata?: Record<string, string>;
}

interface ValueInfo {
  name: string;
  type: ElementType;
  shape: Dim[];
}
interface Initializer {
  name: string;
  dataType: number;
  dims: number[];
  raw: Uint8Array;
}
interface Node {
  opType: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
  name: string;
  domain: string;
}

// AttributeProto.AttributeType values.
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

/** Builds one ONNX graph and serializes it as a model. */
export class OnnxGraphBuilder {
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly initializers: Initializer[] = [];
  private readonly nodes: Node[] = [];

  constructor(readonly graphName = 'main') {}

  input(name: string, type: ElementType, shape: Dim[]): this {
    this.inputs.push({ name, type, shape });
    return this;
  }

  output(name: string, type: ElementType, shape: Dim[]): this {
    this.outputs.push({ name, type, shape });
    return this;
  }

  /** A constant tensor (weights); Float32Array → float32, BigInt64Array → int64, Int32Array → int32. */
  initializer(name: string, data: Float32Array | BigInt64Array | Int32Array, dims: number[]): this {
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== data.length) {
      throw new MlxError('INVALID_PARAMETER_VALUE', `initializer ${name}: dims [${dims}] hold ${count} values but ${data.length} were given`);
    }
    const [dataType, raw] =
      data instanceof Float32Array
        ? [1, float32Bytes(data)]
        : data instanceof BigInt64Array
          ? [7, littleEndianBytes(data, 8)]
          : [6, littleEndianBytes(data, 4)];
    this.initializers.push({ name, dataType, dims: [...dims], raw });
    return this;
  }

  node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}, opts: { name?: string; domain?: string } = {}): this {
    const name = opts.name ?? `${opType}_${this.nodes.length}`;
    this.nodes.push({ opType, inputs, outputs, attrs, name, domain: opts.domain ?? '' });
    return this;
  }

  /** Serializes the model (ModelProto) with the given IR version and default-domain opset. */
  toBytes(opts: ToBytesOptions = {}): Uint8Array {
    const { irVersion = 8, opset = 17, producerName = 'mlx', producerVersion, docString, metadata = {}, extraOpsets = [] } = opts;
    // Fields in field-number order, as protobuf serializers write them; readModelInfo relies on graph before opset_import.
    const m = new ProtoWriter().varint(1, irVersion).string(2, producerName);
    if (producerVersion) m.string(3, producerVersion);
    if (docString) m.string(6, docString);
    m.message(7, this.graph());
    for (const o of [{ domain: '', version: opset }, ...extraOpsets]) {
      const w = new ProtoWriter();
      if (o.domain) w.string(1, o.domain);
      m.message(8, w.varint(2, o.version));
    }
    for (const [k, v] of Object.entries(metadata)) m.message(14, new ProtoWriter().string(1, k).string(2, v));
    return m.finish();
  }

  private graph(): ProtoWriter {
    const g = new ProtoWriter();
    for (const n of this.nodes) g.message(1, nodeProto(n));
    g.string(2, this.graphName);
    for (const t of this.initializers) {
      const w = new ProtoWriter().packedVarints(1, t.dims).varint(2, t.dataType).string(8, t.name).bytes(9, t.raw);
      g.message(5, w);
    }
    for (const v of this.inputs) g.message(11, valueInfo(v));
    for (const v of this.outputs) g.message(12, valueInfo(v));
    return g;
  }
}

function nodeProto(n: Node): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name).string(4, n.opType);
  for (const [name, value] of Object.entries(n.attrs)) w.message(5, attribute(name, value));
  if (n.domain) w.string(7, n.domain);
  return w;
}

function attribute(name: string, v: AttrValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if (typeof v === 'number') return w.varint(3, v).varint(20, ATTR.INT);
  if (typeof v === 'string') return w.string(4, v).varint(20, ATTR.STRING);
  if (Array.isArray(v)) return w.packedVarints(8, v).varint(20, ATTR.INTS);
  if ('float' in v) return w.float(2, v.float).varint(20, ATTR.FLOAT);
  if ('floats' in v) return w.packedFloats(7, v.floats).varint(20, ATTR.FLOATS);
  if ('int' in v) return w.varint(3, v.int).varint(20, ATTR.INT);
  return w.packedVarints(8, v.ints).varint(20, ATTR.INTS);
}

function valueInfo(v: ValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.shape) {
    const dim = new ProtoWriter();
    if (typeof d === 'number') dim.varint(1, d);
    else if (typeof d === 'string') dim.string(2, d);
    shape.message(1, dim);
  }
  const tensor = new ProtoWriter().varint(1, ELEMENT_TYPES.indexOf(v.type)).message(2, shape);
  return new ProtoWriter().string(1, v.name).message(2, new ProtoWriter().message(1, tensor));
}
