// The registry's files on an artifact repository (S3 via s3rver on 127.0.0.1), through the same
// calls `mlx server` makes: registration stores the bytes once per content and records their
// s3:// URI, a registration the store refuses after the upload takes the upload back, reads are
// checked against the version's sha256, deletes free what no version uses.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3, useEnv, type TestS3 } from '../../test/helpers/s3.js';
import { imageBytes, tabularBytes } from '../../test/helpers/serving-fixtures.js';
import { s3Client, s3EndpointFromEnv } from '../artifacts/s3-client.js';
import { S3ArtifactRepository } from '../artifacts/s3-repository.js';
import { invalid, MlxError } from '../core/errors.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { deleteModelOrVersion } from './delete.js';
import { sha256 } from './model-storage.js';
import { keepRegistryFilesOn, modelFiles } from './open-model-files.js';
import { commitRegistration, prepareRegistration, registerModel } from './register.js';

const ROOT = 's3://mlx/reg/_mlx-registry';
let s3: TestS3;
let undoEnv: () => void;
let store: Store;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-repo-files-'));
const write = (name: string, bytes: Uint8Array) => {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, bytes);
  return file;
};

beforeAll(async () => {
  s3 = await startS3(['mlx']);
  undoEnv = useEnv({ ...s3.env, MLX_MODEL_CACHE: path.join(tmp, 'cache') });
  store = await openStore(path.join(tmp, '.mlx'), { create: true });
  keepRegistryFilesOn(store, new S3ArtifactRepository(ROOT));
});
afterAll(async () => {
  await store?.close();
  undoEnv?.();
  await s3?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function keys(prefix = 'reg/'): Promise<string[]> {
  const page = await s3Client(s3EndpointFromEnv()).send(new ListObjectsV2Command({ Bucket: 'mlx', Prefix: prefix }));
  return (page.Contents ?? []).map((c) => c.Key!).sort();
}

describe('registry files on S3', () => {
  it('registers by sha256 once per content, recording the object URI; the card goes beside it', async () => {
    const file = write('tab.onnx', tabularBytes());
    const hash = sha256(tabularBytes());
    const first = await registerModel(store, { source: file, name: 'm', userId: 'u' });
    expect(first.version.storage_location).toBe(`${ROOT}/models/sha256/${hash}.onnx`);
    expect(first.storedNewBytes).toBe(true);
    expect(first.card).toBe(`${ROOT}/models/cards/m/v1.md`);
    const second = await registerModel(store, { source: file, name: 'm', userId: 'u' });
    expect(second.storedNewBytes).toBe(false);
    expect(await keys()).toEqual([
      'reg/_mlx-registry/models/cards/m/v1.md',
      'reg/_mlx-registry/models/cards/m/v2.md',
      `reg/_mlx-registry/models/sha256/${hash}.onnx`,
    ]);
    // Nothing in the store's own folder.
    expect(fs.existsSync(path.join(tmp, '.mlx', 'models'))).toBe(false);
  }, 30_000);

  it('a registration the store refuses after the upload leaves no object', async () => {
    const file = write('img.onnx', imageBytes());
    const prepared = await prepareRegistration(store, { source: file, name: 'img', userId: 'u' });
    const hash = sha256(imageBytes());
    let uploaded: string[] = [];
    const refuse = async () => {
      uploaded = (await keys()).filter((k) => k.includes(hash));
      throw invalid('refused by the store');
    };
    const refusing = Object.create(store, { createModelVersion: { value: refuse } }) as Store;
    keepRegistryFilesOn(refusing, new S3ArtifactRepository(ROOT));
    await expect(commitRegistration(refusing, prepared)).rejects.toThrow('refused by the store');
    // It was in the bucket when the store refused, and is gone now.
    expect(uploaded).toEqual([`reg/_mlx-registry/models/sha256/${hash}.onnx`]);
    expect((await keys()).filter((k) => k.includes(hash))).toEqual([]);
  }, 30_000);

  it('reads are checked against the version sha256: a replaced object is refused naming the version, a missing one too', async () => {
    const files = await modelFiles(store);
    const v1 = await store.getModelVersion('m', 1);
    expect(sha256(fs.readFileSync(await files.verifiedFile(v1)))).toBe(v1.sha256);
    const damaged = Buffer.from(tabularBytes());
    damaged[10] ^= 0xff;
    await s3Client(s3EndpointFromEnv()).send(new PutObjectCommand({ Bucket: 'mlx', Key: `reg/_mlx-registry/models/sha256/${v1.sha256}.onnx`, Body: damaged }));
    fs.rmSync(path.join(tmp, 'cache'), { recursive: true, force: true });
    const err = await files.verifiedFile(v1).catch((e: MlxError) => e);
    expect(err).toBeInstanceOf(MlxError);
    expect((err as MlxError).code).toBe('INVALID_STATE');
    expect((err as MlxError).message).toMatch(
      /^the model file of models:\/m\/1 \(s3:\/\/mlx\/reg\/_mlx-registry\/models\/sha256\/[0-9a-f]{64}\.onnx\) does not match its recorded sha256/,
    );
    // Nothing damaged was cached.
    expect(fs.readdirSync(path.join(tmp, 'cache'))).toEqual([]);
    // A row `mlx db migrate` recorded (an absolute path into the old store) is read where it is, checked the same.
    const migrated = write('migrated.onnx', tabularBytes());
    expect(await files.verifiedFile({ ...v1, storage_location: migrated })).toBe(migrated);
    fs.writeFileSync(migrated, damaged);
    await expect(files.verifiedFile({ ...v1, storage_location: migrated })).rejects.toThrow(/\(models:\/m\/1\) does not match its recorded sha256/);
    const foreign = { ...v1, storage_location: 's3://elsewhere/models/x.onnx' };
    await expect(files.verifiedFile(foreign)).rejects.toThrow(/is outside this server's registry \(s3:\/\/mlx\/reg\/_mlx-registry\)/);
  }, 30_000);

  it('deleting frees the bytes no version uses and the cards', async () => {
    await deleteModelOrVersion(store, 'm', 2, false);
    expect(await keys()).toEqual(['reg/_mlx-registry/models/cards/m/v1.md', `reg/_mlx-registry/models/sha256/${sha256(tabularBytes())}.onnx`]);
    await deleteModelOrVersion(store, 'm', null, false);
    expect(await keys()).toEqual([]);
  }, 30_000);
});
