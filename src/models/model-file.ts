import fs from 'node:fs';
import { invalid, MlxError } from '../core/errors.js';
import { fileError } from '../core/file-errors.js';

/**
 * The largest model file mlx reads, in MB (MiB, as --max-body-mb counts): 2048, since protobuf,
 * and so onnxruntime and the onnx package, cannot parse a message of 2 GiB or more; bigger
 * models keep their weights as external data, which mlx does not read. A lower limit bounds
 * what one registration may make a shared tracking server hold in memory.
 */
export const MAX_MODEL_MB = 2048;
export const MAX_MODEL_MB_ENV = 'MLX_MAX_MODEL_MB';

const MB = 1024 * 1024;

/** Checks a model size limit given in MB (a flag or MLX_MAX_MODEL_MB) and returns it in bytes. */
export function modelLimitBytes(text: string, name: string): number {
  const mb = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(mb) || mb < 0.001 || mb > MAX_MODEL_MB)
    throw new MlxError('USAGE', `${name} ${JSON.stringify(text)} must be a number of MB from 0.001 to ${MAX_MODEL_MB} (ONNX files cannot be larger)`);
  return Math.round(mb * MB);
}

/** The model size limit in bytes: MLX_MAX_MODEL_MB, else 2048 MB. */
export function defaultModelLimit(env: NodeJS.ProcessEnv = process.env): { bytes: number; from: string } {
  const text = env[MAX_MODEL_MB_ENV];
  if (text === undefined || text === '') return { bytes: MAX_MODEL_MB * MB, from: '' };
  return { bytes: modelLimitBytes(text, MAX_MODEL_MB_ENV), from: MAX_MODEL_MB_ENV };
}

export interface ModelLimit {
  bytes: number;
  /** What set it, for the message: a flag, MLX_MAX_MODEL_MB, or '' for the default. */
  from: string;
}

/** What a file that is not a regular file is, in words ("a named pipe (FIFO)"). */
export function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a file';
}

const mbText = (bytes: number) => `${Number((bytes / MB).toFixed(3))} MB`;

/**
 * Reads a model file given by a user (a path, or a run's artifact), refusing anything but a
 * regular file within the size limit. The file is opened first, without blocking (a FIFO with no
 * writer would block the open), and judged by fstat on that descriptor: stat-then-open could be
 * raced, and /dev/zero, /dev/urandom or a FIFO are read for ever, growing memory until the process
 * dies. At most the size fstat gave is read.
 */
export function readModelFile(file: string, label: string, limit: ModelLimit = defaultModelLimit()): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
  } catch (err) {
    throw fileError(err, label);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw invalid(`${label} is ${kindOf(st)}, not a regular file; give the path of an .onnx file`);
    if (st.size > limit.bytes) {
      const raise =
        limit.bytes < MAX_MODEL_MB * MB
          ? `raise it with mlx register --max-model-mb or ${MAX_MODEL_MB_ENV} (up to ${MAX_MODEL_MB})`
          : 'protobuf cannot read a larger ONNX file; keep the weights as external data, which mlx does not read';
      throw invalid(
        `${label} is ${mbText(st.size)} (${st.size} bytes), over the limit of ${mbText(limit.bytes)}${limit.from ? ` (${limit.from})` : ''}; ${raise}`,
      );
    }
    const bytes = Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < st.size) {
      const n = fs.readSync(fd, bytes, off, st.size - off, off);
      if (n === 0) break; // shrank while being read: what is there is judged as a (truncated) model
      off += n;
    }
    return off === st.size ? bytes : bytes.subarray(0, off);
  } finally {
    fs.closeSync(fd);
  }
}
