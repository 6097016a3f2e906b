// Reads what the registry records about an ONNX model (IR, opsets, producer, signature)
// straight from the protobuf, without loading onnxruntime. Field numbers: onnx/onnx.proto.
import { MlxError } from '../../core/errors.js';
import { ProtobufError, WireType, fieldString, protoFields, type ProtoField } from './protobuf.js';

export interface TensorSpec {
  name: string;
  /** ONNX element type as onnxruntime-node names it ('float32', 'int64', …); 'sequence<…>' / 'map<…,…>' for non-tensors. */
  type: string;
  /** -1 for a dynamic dimension (dim_param or no dim_value). */
  shape: number[];
  /** The dim_param of each dimension, null when it has none. */
  dimNames: (string | null)[];
  /** Set when the model declares no shape at all (rank unknown); `shape` is then []. */
  shapeUnknown?: true;
}

export interface ModelInfo {
  irVersion: number;
  opsetImports: { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  graphName: string;
  docString: string;
  metadata: Record<string, string>;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

/** TensorProto.DataType code → element type name (index = code). */
export const ELEMENT_TYPES = [
  'undefined',
  'float32',
  'uint8',
  'int8',
  'uint16',
  'int16',
  'int32',
  'int64',
  'string',
  'bool',
  'float16',
  'float64',
  'uint32',
  'uint64',
  'complex64',
  'complex128',
  'bfloat16',
  'float8e4m3fn',
  'float8e4m3fnuz',
  'float8e5m2',
  'float8e5m2fnuz',
  'uint4',
  'int4',
  'float4e2m1',
  'float8e8m0',
  'uint2',
  'int2',
] as const;
export type ElementType = Exclude<(typeof ELEMENT_TYPES)[number], 'undefined'>;

/** Element type name of a TensorProto.DataType code. */
export function elementTypeName(code: number): string {
  return ELEMENT_TYPES[code] ?? `unknown(${code})`;
}

// ModelProto fields whose wire type is known: seeing any other wire type means "not ONNX".
const MODEL_WIRE: Record<number, number> = {
  1: WireType.VARINT,
  2: WireType.LEN,
  3: WireType.LEN,
  4: WireType.LEN,
  5: WireType.VARINT,
  6: WireType.LEN,
  7: WireType.LEN,
  8: WireType.LEN,
  14: WireType.LEN,
  20: WireType.LEN,
  25: WireType.LEN,
  26: WireType.LEN,
};

// Largest IR version we treat as plausible; real ones are 1..13 today, random bytes give anything.
const MAX_PLAUSIBLE_IR = 1000;

/** Reads an ONNX model's IR/opset versions, producer, metadata and signature; throws one-line MlxError for bytes that are not a (complete) ONNX model. */
export function readModelInfo(bytes: Uint8Array, fileLabel = 'model'): ModelInfo {
  const notOnnx = (why: string, cause?: unknown) => new MlxError('INVALID_PARAMETER_VALUE', `${fileLabel}: not an ONNX model (${why})`, { cause });
  const truncated = (why: string, cause?: unknown) =>
    new MlxError('INVALID_PARAMETER_VALUE', `${fileLabel}: truncated ONNX model (${why}); copy or export the file again`, { cause });
  if (bytes.length === 0) throw notOnnx('empty file');

  const info: ModelInfo = {
    irVersion: 0,
    opsetImports: [],
    producerName: '',
    producerVersion: '',
    graphName: '',
    docString: '',
    metadata: {},
    inputs: [],
    outputs: [],
  };
  let graph: Uint8Array | undefined;
  let sawIr = false;
  try {
    for (const f of protoFields(bytes)) {
      const expected = MODEL_WIRE[f.field];
      if (expected !== undefined && expected !== f.wireType) {
        throw notOnnx(`field ${f.field} at offset ${f.offset} has wire type ${f.wireType}, ModelProto expects ${expected}`);
      }
      if (!sawIr && f.field !== 1 && expected === undefined) throw notOnnx(`unexpected field ${f.field} at offset ${f.offset}`);
      switch (f.field) {
        case 1:
          if (f.value < 1 || f.value > MAX_PLAUSIBLE_IR) throw notOnnx(`ir_version ${f.value} is out of range`);
          info.irVersion = f.value;
          sawIr = true;
          break;
        case 2:
          info.producerName = fieldString(f);
          break;
        case 3:
          info.producerVersion = fieldString(f);
          break;
        case 6:
          info.docString = fieldString(f);
          break;
        case 7:
          graph = f.bytes;
          break;
        case 8:
          info.opsetImports.push(readOpset(f));
          break;
        case 14: {
          const [k, v] = readEntry(f);
          info.metadata[k] = v;
          break;
        }
      }
    }
  } catch (err) {
    if (err instanceof ProtobufError) {
      // Only call it truncated when what came before looked like ONNX (every ONNX file starts with the
      // ir_version tag 0x08); random bytes fail the same way.
      const looksLikeOnnx = sawIr || bytes[0] === 0x08;
      throw err.reason === 'truncated' && looksLikeOnnx ? truncated(err.message, err) : notOnnx(err.message, err);
    }
    throw err;
  }
  if (!sawIr) throw notOnnx('no ir_version field');
  // Serializers write ModelProto fields in field-number order: graph (7) then opset_import (8).
  if (!graph) throw truncated('it ends before the graph');
  if (info.irVersion >= 3 && info.opsetImports.length === 0) throw truncated('it has no opset_import');

  try {
    readGraph(graph, info);
  } catch (err) {
    if (err instanceof ProtobufError) throw notOnnx(`malformed graph: ${err.message}`, err);
    throw err;
  }
  return info;
}

function readOpset(f: ProtoField): { domain: string; version: number } {
  const op = { domain: '', version: 0 };
  for (const g of protoFields(f.bytes)) {
    if (g.field === 1 && g.wireType === WireType.LEN) op.domain = fieldString(g);
    else if (g.field === 2 && g.wireType === WireType.VARINT) op.version = g.value;
  }
  return op;
}

function readEntry(f: ProtoField): [string, string] {
  let key = '';
  let value = '';
  for (const g of protoFields(f.bytes)) {
    if (g.wireType !== WireType.LEN) continue;
    if (g.field === 1) key = fieldString(g);
    else if (g.field === 2) value = fieldString(g);
  }
  return [key, value];
}

function readGraph(graph: Uint8Array, info: ModelInfo): void {
  const initializers = new Set<string>();
  const inputs: TensorSpec[] = [];
  for (const f of protoFields(graph)) {
    if (f.wireType !== WireType.LEN) continue;
    if (f.field === 2) info.graphName = fieldString(f);
    else if (f.field === 5) initializers.add(tensorName(f.bytes));
    else if (f.field === 15) initializers.add(sparseTensorName(f.bytes));
    else if (f.field === 11) inputs.push(readValueInfo(f.bytes));
    else if (f.field === 12) info.outputs.push(readValueInfo(f.bytes));
  }
  // Exporters before IR 4 had to list every weight as a graph input too; those are not model inputs.
  info.inputs = inputs.filter((i) => !initializers.has(i.name));
}

// The name (field 8) may follow the data (float_data = 4), but LEN fields are skipped by offset, not read.
function tensorName(tensor: Uint8Array): string {
  for (const f of protoFields(tensor)) if (f.field === 8 && f.wireType === WireType.LEN) return fieldString(f);
  return '';
}

function sparseTensorName(sparse: Uint8Array): string {
  for (const f of protoFields(sparse)) if (f.field === 1 && f.wireType === WireType.LEN) return tensorName(f.bytes);
  return '';
}

function readValueInfo(bytes: Uint8Array): TensorSpec {
  const spec: TensorSpec = { name: '', type: 'undefined', shape: [], dimNames: [] };
  for (const f of protoFields(bytes)) {
    if (f.wireType !== WireType.LEN) continue;
    if (f.field === 1) spec.name = fieldString(f);
    else if (f.field === 2) readType(f.bytes, spec);
  }
  return spec;
}

// TypeProto: tensor_type 1, sequence_type 4, map_type 5, sparse_tensor_type 8, optional_type 9.
function readType(bytes: Uint8Array, spec: TensorSpec): void {
  for (const f of protoFields(bytes)) {
    if (f.wireType !== WireType.LEN) continue;
    if (f.field === 1 || f.field === 8) {
      readTensorType(f.bytes, spec);
      if (f.field === 8) spec.type = `sparse<${spec.type}>`;
    } else if (f.field === 4 || f.field === 5 || f.field === 9) {
      spec.type = typeName(bytes);
    }
  }
}

function readTensorType(bytes: Uint8Array, spec: TensorSpec): void {
  let hasShape = false;
  for (const f of protoFields(bytes)) {
    if (f.field === 1 && f.wireType === WireType.VARINT) spec.type = elementTypeName(f.value);
    else if (f.field === 2 && f.wireType === WireType.LEN) {
      hasShape = true;
      for (const d of protoFields(f.bytes)) {
        if (d.field !== 1 || d.wireType !== WireType.LEN) continue;
        let value = -1;
        let name: string | null = null;
        for (const g of protoFields(d.bytes)) {
          if (g.field === 1 && g.wireType === WireType.VARINT) value = g.value >= 0 ? g.value : -1;
          else if (g.field === 2 && g.wireType === WireType.LEN) name = fieldString(g);
        }
        if (name !== null) value = -1;
        spec.shape.push(value);
        spec.dimNames.push(name);
      }
    }
  }
  if (!hasShape) spec.shapeUnknown = true;
}

// Protobuf's own recursion limit (onnxruntime, the onnx package and MLflow parse with it): a type
// nested deeper cannot be loaded anyway, and a crafted one would overflow the stack here.
const MAX_TYPE_DEPTH = 100;

// A short readable name for non-tensor types, e.g. skl2onnx's 'sequence<map<int64,float32>>'.
function typeName(typeProto: Uint8Array, depth = 0): string {
  if (depth >= MAX_TYPE_DEPTH)
    throw new ProtobufError('malformed', 0, `a value type nests sequences, maps or optionals more than ${MAX_TYPE_DEPTH} deep (the limit)`);
  for (const f of protoFields(typeProto)) {
    if (f.wireType !== WireType.LEN) continue;
    if (f.field === 1 || f.field === 8) {
      let elem = 'undefined';
      for (const g of protoFields(f.bytes)) if (g.field === 1 && g.wireType === WireType.VARINT) elem = elementTypeName(g.value);
      return f.field === 8 ? `sparse<${elem}>` : elem;
    }
    if (f.field === 4 || f.field === 9) {
      let inner = 'undefined';
      for (const g of protoFields(f.bytes)) if (g.field === 1 && g.wireType === WireType.LEN) inner = typeName(g.bytes, depth + 1);
      return `${f.field === 4 ? 'sequence' : 'optional'}<${inner}>`;
    }
    if (f.field === 5) {
      let key = 'undefined';
      let value = 'undefined';
      for (const g of protoFields(f.bytes)) {
        if (g.field === 1 && g.wireType === WireType.VARINT) key = elementTypeName(g.value);
        else if (g.field === 2 && g.wireType === WireType.LEN) value = typeName(g.bytes, depth + 1);
      }
      return `map<${key},${value}>`;
    }
  }
  return 'undefined';
}
