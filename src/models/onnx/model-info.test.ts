import { describe, it, expect } from 'vitest';
import { MlxError } from '../../core/errors.js';
import { OnnxGraphBuilder } from './builder.js';
import { readModelInfo, elementTypeName } from './model-info.js';
import { createRng } from './prng.js';
import { ProtoWriter } from './protobuf.js';

function smallModel(): OnnxGraphBuilder {
  return new OnnxGraphBuilder('small')
    .input('x', 'float32', ['batch', 4])
    .initializer('W', new Float32Array(8).fill(0.5), [4, 2])
    .initializer('shape', BigInt64Array.from([-1n, 2n]), [2])
    .node('MatMul', ['x', 'W'], ['xw'])
    .node('Reshape', ['xw', 'shape'], ['y'])
    .output('y', 'float32', ['batch', 2]);
}

function errorOf(fn: () => unknown): MlxError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MlxError);
    expect((err as MlxError).code).toBe('INVALID_PARAMETER_VALUE');
    expect((err as MlxError).message).not.toContain('\n');
    return err as MlxError;
  }
  throw new Error('expected an error');
}

// A ModelProto written by hand, for what the builder does not produce (non-tensor types, float_data weights).
function handWrittenModel(graph: ProtoWriter, irVersion = 7): Uint8Array {
  return new ProtoWriter()
    .varint(1, irVersion)
    .string(2, 'skl2onnx')
    .message(7, graph)
    .message(8, new ProtoWriter().varint(2, 15))
    .message(8, new ProtoWriter().string(1, 'ai.onnx.ml').varint(2, 3))
    .finish();
}

const tensorType = (elem: number, dims?: (number | string | null)[]) => {
  const t = new ProtoWriter().varint(1, elem);
  if (dims) {
    const shape = new ProtoWriter();
    for (const d of dims) {
      const dim = new ProtoWriter();
      if (typeof d === 'number') dim.varint(1, d);
      else if (typeof d === 'string') dim.string(2, d);
      shape.message(1, dim);
    }
    t.message(2, shape);
  }
  return new ProtoWriter().message(1, t);
};

describe('readModelInfo', () => {
  it('reads what the builder writes', () => {
    const bytes = smallModel()
      .input('mask', 'bool', [null, 'seq'])
      .input('tokens', 'int64', [1, 'seq'])
      .input('half', 'float16', [2, 3])
      .input('text', 'string', [])
      .toBytes({
        irVersion: 9,
        opset: 19,
        extraOpsets: [{ domain: 'ai.onnx.ml', version: 4 }],
        producerName: 'pytorch',
        producerVersion: '2.3.0',
        docString: 'a small model',
        metadata: { author: 'mlx', labels: 'a,b' },
      });
    const info = readModelInfo(bytes, 'small.onnx');
    expect(info).toEqual({
      irVersion: 9,
      opsetImports: [
        { domain: '', version: 19 },
        { domain: 'ai.onnx.ml', version: 4 },
      ],
      producerName: 'pytorch',
      producerVersion: '2.3.0',
      graphName: 'small',
      docString: 'a small model',
      metadata: { author: 'mlx', labels: 'a,b' },
      inputs: [
        { name: 'x', type: 'float32', shape: [-1, 4], dimNames: ['batch', null] },
        { name: 'mask', type: 'bool', shape: [-1, -1], dimNames: [null, 'seq'] },
        { name: 'tokens', type: 'int64', shape: [1, -1], dimNames: [null, 'seq'] },
        { name: 'half', type: 'float16', shape: [2, 3], dimNames: [null, null] },
        { name: 'text', type: 'string', shape: [], dimNames: [] },
      ],
      outputs: [{ name: 'y', type: 'float32', shape: [-1, 2], dimNames: ['batch', null] }],
    });
  });

  it('uses the builder defaults', () => {
    const info = readModelInfo(smallModel().toBytes());
    expect(info.irVersion).toBe(8);
    expect(info.opsetImports).toEqual([{ domain: '', version: 17 }]);
    expect(info.producerName).toBe('mlx');
    expect([info.producerVersion, info.docString, info.metadata]).toEqual(['', '', {}]);
  });

  it('does not count initializers listed as graph inputs (old exporters) as inputs', () => {
    const bytes = smallModel().input('W', 'float32', [4, 2]).toBytes({ irVersion: 3, opset: 9 });
    const info = readModelInfo(bytes);
    expect(info.inputs.map((i) => i.name)).toEqual(['x']);
  });

  it('finds initializer names written after float_data, and reads non-tensor types', () => {
    const weight = new ProtoWriter().packedVarints(1, [2]).varint(2, 1).packedFloats(4, [1, 2]).string(8, 'coef');
    const graph = new ProtoWriter()
      .string(2, 'sklearn')
      .message(5, weight)
      .message(11, new ProtoWriter().string(1, 'coef').message(2, tensorType(1, [2])))
      .message(11, new ProtoWriter().string(1, 'X').message(2, tensorType(1, ['N', 3])))
      .message(11, new ProtoWriter().string(1, 'anything').message(2, tensorType(11)))
      .message(12, new ProtoWriter().string(1, 'label').message(2, tensorType(7, [null])))
      .message(
        12,
        new ProtoWriter()
          .string(1, 'probabilities')
          .message(
            2,
            new ProtoWriter().message(4, new ProtoWriter().message(1, new ProtoWriter().message(5, new ProtoWriter().varint(1, 7).message(2, tensorType(1))))),
          ),
      );
    const info = readModelInfo(handWrittenModel(graph));
    expect(info.opsetImports).toEqual([
      { domain: '', version: 15 },
      { domain: 'ai.onnx.ml', version: 3 },
    ]);
    expect(info.inputs).toEqual([
      { name: 'X', type: 'float32', shape: [-1, 3], dimNames: ['N', null] },
      { name: 'anything', type: 'float64', shape: [], dimNames: [], shapeUnknown: true },
    ]);
    expect(info.outputs[0]).toEqual({ name: 'label', type: 'int64', shape: [-1], dimNames: [null] });
    expect(info.outputs[1].type).toBe('sequence<map<int64,float32>>');
  });

  it('names element types like onnxruntime-node', () => {
    expect([1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 16].map(elementTypeName)).toEqual([
      'float32',
      'uint8',
      'int8',
      'int16',
      'int32',
      'int64',
      'string',
      'bool',
      'float16',
      'float64',
      'bfloat16',
    ]);
    expect(elementTypeName(99)).toBe('unknown(99)');
  });

  it('refuses an empty file, a text file and random bytes as "not an ONNX model"', () => {
    expect(errorOf(() => readModelInfo(new Uint8Array(0), 'empty.onnx')).message).toBe('empty.onnx: not an ONNX model (empty file)');
    const text = new TextEncoder().encode('name,age\nalice,31\nbob,42\n');
    expect(errorOf(() => readModelInfo(text, 'data.csv')).message).toMatch(/^data\.csv: not an ONNX model \(/);
    const json = new TextEncoder().encode('{"model": "resnet50", "weights": [1, 2, 3]}');
    expect(errorOf(() => readModelInfo(json, 'x.json')).message).toMatch(/not an ONNX model/);
    const rng = createRng(7);
    for (let trial = 0; trial < 500; trial++) {
      const noise = Uint8Array.from({ length: 1 + rng.int(4096) }, () => rng.int(256));
      expect(errorOf(() => readModelInfo(noise, 'noise.onnx')).message).toMatch(/^noise\.onnx: not an ONNX model/);
    }
  });

  it('refuses protobuf without an ir_version or a graph', () => {
    const noIr = new ProtoWriter().string(2, 'x').message(7, new ProtoWriter().string(2, 'g')).finish();
    expect(errorOf(() => readModelInfo(noIr, 'a.onnx')).message).toBe('a.onnx: not an ONNX model (no ir_version field)');
    const noGraph = new ProtoWriter().varint(1, 8).string(2, 'x').finish();
    expect(errorOf(() => readModelInfo(noGraph, 'b.onnx')).message).toMatch(/^b\.onnx: truncated ONNX model \(it ends before the graph\)/);
    const wrongWire = new ProtoWriter().string(1, 'eight').finish();
    expect(errorOf(() => readModelInfo(wrongWire)).message).toMatch(/^model: not an ONNX model \(field 1 at offset 0 has wire type 2/);
  });

  it('reports a model cut at any offset as truncated', () => {
    // Without metadata every proper prefix is incomplete: graph and opset_import come last.
    const bytes = smallModel().toBytes({ producerVersion: '1.0', docString: 'doc' });
    for (let cut = 1; cut < bytes.length; cut++) {
      const message = errorOf(() => readModelInfo(bytes.subarray(0, cut), 'cut.onnx')).message;
      expect(message).toMatch(/^cut\.onnx: truncated ONNX model \(.+\); copy or export the file again$/);
    }
  });

  it('reports a corrupt graph as not an ONNX model', () => {
    const graph = new ProtoWriter().bytes(11, Uint8Array.from([0x0a, 0x7f, 0x41]));
    expect(errorOf(() => readModelInfo(handWrittenModel(graph), 'bad.onnx')).message).toMatch(/^bad\.onnx: not an ONNX model \(malformed graph: /);
  });
});
