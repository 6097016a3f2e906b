// MLflow model folders: an `MLmodel` file (YAML) beside the model's files, naming its flavors.
// mlx serves ONNX, so a folder with an `onnx` flavor stands for the ONNX file that flavor names;
// any other flavor is a model mlx can register (as MLflow does) but not serve, and says how to
// convert it. Format: mlflow/models/model.py (Model.to_dict) and mlflow/onnx/__init__.py.
import path from 'node:path';
import type { ModelSignature } from '../core/entities.js';
import { invalid, MlxError } from '../core/errors.js';

/** The file that makes a folder an MLflow model. */
export const MLMODEL = 'MLmodel';

/** An MLmodel file as far as mlx reads it. */
export interface MlflowModelInfo {
  /** Flavor names as written (e.g. ["python_function", "sklearn"]). */
  flavors: string[];
  /** The ONNX file the onnx flavor names, relative to the folder (flavors.onnx.data). */
  onnxFile: string | null;
  /** The MLflow signature's inputs and outputs, when it has a tensor-based one (column-based signatures are not compared). */
  signature: { inputs: MlflowTensorSpec[]; outputs: MlflowTensorSpec[] } | null;
}

export interface MlflowTensorSpec {
  name?: string;
  dtype: string;
  shape: number[];
}

/** How to make ONNX out of a model of each flavor (the converter its community uses). */
const CONVERTERS: Record<string, string> = {
  sklearn: 'convert it with skl2onnx',
  pytorch: 'export it with torch.onnx.export',
  tensorflow: 'convert it with tf2onnx',
  keras: 'convert it with tf2onnx',
  xgboost: 'convert it with onnxmltools',
  lightgbm: 'convert it with onnxmltools',
  catboost: "save it with save_model(format='onnx')",
  spark: 'convert it with onnxmltools',
  paddle: 'convert it with paddle2onnx',
  h2o: 'export it as ONNX',
};

/** Flavors every MLflow model may carry besides its own: they say nothing about what the model is. */
const GENERIC = new Set(['python_function']);

/** The flavor that says what a model is (sklearn, pytorch, …), else the first one, else null. */
export function mainFlavor(flavors: string[]): string | null {
  return flavors.find((f) => !GENERIC.has(f)) ?? flavors[0] ?? null;
}

/** Why a model of these flavors cannot be served by mlx, and what to do: "an MLflow sklearn model; mlx serves ONNX: convert it with skl2onnx and register the .onnx". */
export function notOnnxReason(flavors: string[]): string {
  const main = mainFlavor(flavors);
  if (main === null) return 'an MLflow model with no flavors; mlx serves ONNX: export the model to ONNX and register the .onnx';
  return `an MLflow ${main} model; mlx serves ONNX: ${CONVERTERS[main] ?? 'export it to ONNX'} and register the .onnx`;
}

function specList(text: unknown, label: string): MlflowTensorSpec[] | null {
  if (text === undefined || text === null) return [];
  let list: unknown;
  try {
    list = typeof text === 'string' ? JSON.parse(text) : text;
  } catch {
    throw invalid(`${label}: its signature is not valid JSON`);
  }
  if (!Array.isArray(list)) throw invalid(`${label}: its signature is not a list of inputs or outputs`);
  const out: MlflowTensorSpec[] = [];
  for (const x of list as Record<string, unknown>[]) {
    // Column-based signatures (type: double, string, …) describe a DataFrame, not tensors.
    if (x?.type !== 'tensor') return null;
    const spec = x['tensor-spec'] as { dtype?: unknown; shape?: unknown } | undefined;
    if (typeof spec?.dtype !== 'string' || !Array.isArray(spec.shape) || !spec.shape.every((d) => Number.isInteger(d)))
      throw invalid(`${label}: a tensor-spec of its signature has no dtype or shape`);
    out.push({ ...(typeof x.name === 'string' ? { name: x.name } : {}), dtype: spec.dtype, shape: spec.shape as number[] });
  }
  return out;
}

/** Reads an MLmodel file's text; label names the folder in messages. */
export async function parseMlmodel(text: string, label: string): Promise<MlflowModelInfo> {
  const { parse } = await import('yaml');
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw invalid(`${label}: its ${MLMODEL} file is not valid YAML (${(err as Error).message.split('\n')[0]})`, err);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw invalid(`${label}: its ${MLMODEL} file is not a YAML mapping`);
  const flavorsField = (doc as Record<string, unknown>).flavors;
  const flavors = typeof flavorsField === 'object' && flavorsField !== null ? (flavorsField as Record<string, Record<string, unknown> | null>) : {};
  const onnx = flavors.onnx;
  let onnxFile: string | null = null;
  if (onnx) {
    const data = onnx.data;
    if (typeof data !== 'string' || data === '') throw invalid(`${label}: the onnx flavor of its ${MLMODEL} names no model file (flavors.onnx.data)`);
    const norm = path.posix.normalize(data.replace(/\\/g, '/'));
    // The file must lie inside the model folder, as every artifact path must.
    if (norm.startsWith('../') || norm === '..' || path.posix.isAbsolute(norm) || norm === '.')
      throw invalid(`${label}: the onnx flavor names ${JSON.stringify(data)}, which is not a file inside the model folder`);
    onnxFile = norm;
  }
  const sig = (doc as Record<string, unknown>).signature as Record<string, unknown> | undefined;
  let signature: MlflowModelInfo['signature'] = null;
  if (sig && typeof sig === 'object') {
    const inputs = specList(sig.inputs, label);
    const outputs = specList(sig.outputs, label);
    if (inputs && outputs) signature = { inputs, outputs };
  }
  return { flavors: Object.keys(flavors), onnxFile, signature };
}

/** The ONNX file an MLflow model folder stands for (its onnx flavor's file), or null when the folder has no MLmodel file. */
export async function mlflowOnnxIn(readMlmodel: () => string | null, label: string): Promise<{ file: string; signature: MlflowModelInfo['signature'] } | null> {
  const text = readMlmodel();
  if (text === null) return null;
  const info = await parseMlmodel(text, label);
  if (info.onnxFile === null) throw invalid(`${label} is ${notOnnxReason(info.flavors)}`);
  return { file: info.onnxFile, signature: info.signature };
}

/** numpy dtype names (MLflow's tensor-spec) → onnxruntime-node's element type names. */
const DTYPES: Record<string, string> = { str: 'string', object: 'string', bytes: 'string', bool: 'bool', float: 'float64', int: 'int64' };

const dimsFit = (a: number[], b: number[]) => a.length === b.length && a.every((d, i) => d === -1 || b[i] === -1 || d === b[i]);

/**
 * Checks an MLflow tensor signature against the ONNX model's own: same number of inputs and
 * outputs, and for each (by name when MLflow names it, else by position) the same element type
 * and a compatible shape (-1 fits any size). The ONNX file is what runs, so a signature that
 * disagrees with it would describe a model that is not there.
 */
export function checkMlflowSignature(mlflow: NonNullable<MlflowModelInfo['signature']>, onnx: ModelSignature, label: string): void {
  for (const side of ['inputs', 'outputs'] as const) {
    const want = mlflow[side];
    const have = onnx[side];
    if (want.length === 0) continue;
    if (want.length !== have.length)
      throw new MlxError(
        'INVALID_PARAMETER_VALUE',
        `${label}: its MLflow signature has ${want.length} ${side} but the ONNX model has ${have.length}; log the model again with a signature inferred from the ONNX model`,
      );
    want.forEach((w, i) => {
      const h = (w.name !== undefined ? have.find((x) => x.name === w.name) : undefined) ?? (w.name === undefined ? have[i] : undefined);
      const what = `${side.slice(0, -1)} ${JSON.stringify(w.name ?? have[i].name)}`;
      if (!h)
        throw invalid(
          `${label}: its MLflow signature names ${what}, which the ONNX model does not have (it has ${have.map((x) => JSON.stringify(x.name)).join(', ')})`,
        );
      const dtype = DTYPES[w.dtype] ?? w.dtype;
      if (dtype !== h.type) throw invalid(`${label}: ${what} is ${w.dtype} in its MLflow signature but ${h.type} in the ONNX model`);
      if (h.shape.length > 0 && !dimsFit(w.shape, h.shape))
        throw invalid(`${label}: ${what} has shape [${w.shape.join(', ')}] in its MLflow signature but [${h.shape.join(', ')}] in the ONNX model`);
    });
  }
}
