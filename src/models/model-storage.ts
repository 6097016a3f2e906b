import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MlxError } from '../core/errors.js';
import { fileError } from '../core/file-errors.js';

/** sha256 of some bytes, as lowercase hex. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Content-addressed model files under `<store>/models/sha256/<hash>.onnx`: registering the
 * same bytes twice stores them once, and every read is checked against the hash.
 */
export class ModelStorage {
  constructor(readonly root: string) {}

  /** The store-relative location for a hash. */
  locationOf(hash: string): string {
    return `models/sha256/${hash}.onnx`;
  }

  /** Stores bytes (atomically, once per content) and returns {location, created}. */
  put(bytes: Uint8Array, hash: string): { location: string; created: boolean } {
    const location = this.locationOf(hash);
    const file = path.join(this.root, location);
    // Same content already stored: keep it, unless it was damaged (then write it anew).
    if (fs.existsSync(file) && fs.statSync(file).size === bytes.byteLength && sha256(fs.readFileSync(file)) === hash) return { location, created: false };
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, file);
    return { location, created: true };
  }

  /** Removes model files no version uses any more. */
  remove(absolutePaths: string[]): void {
    for (const p of absolutePaths) fs.rmSync(p, { force: true });
  }
}

/** Reads a registered model's bytes and verifies them against the recorded sha256; shown names the file in messages (a server names it store-relative). */
export function readVerified(file: string, expected: string, shown = file): Buffer {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new MlxError('RESOURCE_DOES_NOT_EXIST', `model file ${shown} is missing from the store; re-register the model`, { cause: err });
    // There, but not for this user: the store's owner can grant read access; re-registering would not help.
    throw fileError(err, `model file ${shown} in the store`);
  }
  const actual = sha256(bytes);
  if (actual !== expected)
    throw new MlxError(
      'INVALID_STATE',
      `model file ${shown} does not match its recorded sha256 (expected ${expected.slice(0, 12)}…, found ${actual.slice(0, 12)}…): it was changed or corrupted; re-register the model`,
    );
  return bytes;
}
