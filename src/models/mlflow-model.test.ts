import { describe, expect, it } from 'vitest';
import { checkMlflowSignature, mlflowOnnxIn, notOnnxReason, parseMlmodel } from './mlflow-model.js';

// An MLmodel file as mlflow.onnx.log_model writes it (mlflow/models/model.py Model.to_yaml).
const ONNX_MLMODEL = `artifact_path: model
flavors:
  onnx:
    code: null
    data: model.onnx
    onnx_version: 1.17.0
    providers:
    - CUDAExecutionProvider
    - CPUExecutionProvider
  python_function:
    data: model.onnx
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.onnx
    python_version: 3.11.9
mlflow_version: 2.17.0
model_size_bytes: 1523
model_uuid: 7b0a
run_id: 0123456789abcdef0123456789abcdef
signature:
  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}, "name": "x"}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}}]'
  params: null
utc_time_created: '2026-12-07 10:00:00.000000'
`;
const onnxSig = {
  inputs: [{ name: 'x', type: 'float32', shape: [-1, 4] }],
  outputs: [{ name: 'probs', type: 'float32', shape: [-1, 3] }],
};

describe('MLmodel files', () => {
  it('reads the flavors, the file the onnx flavor names and a tensor signature', async () => {
    const m = await parseMlmodel(ONNX_MLMODEL, 'model');
    expect(m.flavors).toEqual(['onnx', 'python_function']);
    expect(m.onnxFile).toBe('model.onnx');
    expect(m.signature).toEqual({ inputs: [{ name: 'x', dtype: 'float32', shape: [-1, 4] }], outputs: [{ dtype: 'float32', shape: [-1, 3] }] });
  });

  it('leaves column-based signatures unchecked (they describe a DataFrame, not tensors)', async () => {
    const text = ONNX_MLMODEL.replace(/ {2}inputs: .*\n/, `  inputs: '[{"type": "double", "name": "a"}]'\n`);
    expect((await parseMlmodel(text, 'model')).signature).toBeNull();
  });

  it('refuses an onnx flavor naming a file outside the folder, and files that are not MLmodel YAML, naming the folder', async () => {
    await expect(parseMlmodel(ONNX_MLMODEL.replace('data: model.onnx\n    onnx_version', 'data: ../../x.onnx\n    onnx_version'), 'm1')).rejects.toThrow(
      /^m1: the onnx flavor names "..\/..\/x.onnx", which is not a file inside the model folder$/,
    );
    await expect(parseMlmodel('flavors: [unclosed', 'm2')).rejects.toThrow(/^m2: its MLmodel file is not valid YAML/);
    await expect(parseMlmodel('- a list', 'm3')).rejects.toThrow(/^m3: its MLmodel file is not a YAML mapping$/);
    await expect(parseMlmodel('flavors:\n  onnx:\n    code: null\n', 'm4')).rejects.toThrow(/names no model file/);
  });

  it('says what a model of another flavor is and how to make ONNX of it', async () => {
    expect(notOnnxReason(['python_function', 'sklearn'])).toBe('an MLflow sklearn model; mlx serves ONNX: convert it with skl2onnx and register the .onnx');
    expect(notOnnxReason(['python_function', 'transformers'])).toBe('an MLflow transformers model; mlx serves ONNX: export it to ONNX and register the .onnx');
    expect(notOnnxReason(['python_function'])).toMatch(/^an MLflow python_function model/);
    await expect(mlflowOnnxIn(() => 'flavors:\n  keras: {}\n', 'folder "k"')).rejects.toThrow(
      'folder "k" is an MLflow keras model; mlx serves ONNX: convert it with tf2onnx and register the .onnx',
    );
    expect(await mlflowOnnxIn(() => null, 'plain folder')).toBeNull();
  });
});

describe('checkMlflowSignature', () => {
  const sig = async (text = ONNX_MLMODEL) => (await parseMlmodel(text, 'model')).signature!;

  it('passes a signature that fits the ONNX model (-1 fits any size)', async () => {
    expect(() => checkMlflowSignature({ inputs: [], outputs: [] }, onnxSig, 'm')).not.toThrow();
    const s = await sig();
    expect(() => checkMlflowSignature(s, onnxSig, 'm')).not.toThrow();
    expect(() => checkMlflowSignature(s, { ...onnxSig, inputs: [{ name: 'x', type: 'float32', shape: [-1, -1] }] }, 'm')).not.toThrow();
  });

  it('names the difference: count, name, type, shape', async () => {
    const s = await sig();
    expect(() => checkMlflowSignature(s, { ...onnxSig, inputs: [] }, 'm')).toThrow(/^m: its MLflow signature has 1 inputs but the ONNX model has 0/);
    expect(() => checkMlflowSignature(s, { ...onnxSig, inputs: [{ name: 'y', type: 'float32', shape: [-1, 4] }] }, 'm')).toThrow(
      'm: its MLflow signature names input "x", which the ONNX model does not have (it has "y")',
    );
    expect(() => checkMlflowSignature(s, { ...onnxSig, inputs: [{ name: 'x', type: 'int64', shape: [-1, 4] }] }, 'm')).toThrow(
      'm: input "x" is float32 in its MLflow signature but int64 in the ONNX model',
    );
    expect(() => checkMlflowSignature(s, { ...onnxSig, outputs: [{ name: 'probs', type: 'float32', shape: [-1, 2] }] }, 'm')).toThrow(
      'm: output "probs" has shape [-1, 3] in its MLflow signature but [-1, 2] in the ONNX model',
    );
  });
});
