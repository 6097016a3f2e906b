/**
 * The shared contract every ArtifactRepository runs (a local folder, a tracking server's
 * artifact proxy, S3): what a run's artifacts look like after log, openWriter, list and
 * download, whatever keeps them. Call runArtifactRepositoryContract from the implementation's
 * own test file with a factory giving an empty repository each time.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { MlxError } from '../core/errors.js';
import type { ArtifactRepository } from './repository.js';

export function runArtifactRepositoryContract(name: string, makeRepo: () => Promise<ArtifactRepository>): void {
  describe(`ArtifactRepository contract: ${name}`, () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-repo-contract-'));
    afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
    let repo: ArtifactRepository;
    beforeEach(async () => {
      repo = await makeRepo();
    });

    /** A local folder: model/{MLmodel, model.onnx, data/weights.bin}. */
    const folder = () => {
      const dir = fs.mkdtempSync(path.join(tmp, 'src-'));
      const model = path.join(dir, 'model');
      fs.mkdirSync(path.join(model, 'data'), { recursive: true });
      fs.writeFileSync(path.join(model, 'MLmodel'), 'flavors: {}\n');
      fs.writeFileSync(path.join(model, 'model.onnx'), Buffer.alloc(3000, 7));
      fs.writeFileSync(path.join(model, 'data', 'weights.bin'), Buffer.from([0, 1, 2, 255]));
      return model;
    };

    it('an empty repository lists as empty, and so does an absent folder', async () => {
      expect(await repo.list()).toEqual([]);
      expect(await repo.list('nothing/here', true)).toEqual([]);
    });

    it('logs a file under an artifact path and lists it with its size', async () => {
      const file = path.join(tmp, `metrics-${Date.now()}.json`);
      fs.writeFileSync(file, '{"acc":0.9}');
      expect(await repo.log(file, 'reports')).toEqual([`reports/${path.basename(file)}`]);
      expect(await repo.list()).toEqual([{ path: 'reports', is_dir: true }]);
      expect(await repo.list('reports')).toEqual([{ path: `reports/${path.basename(file)}`, is_dir: false, file_size: 11 }]);
    });

    it('logs a folder recursively; a recursive listing walks it folder by folder, sorted', async () => {
      const stored = await repo.log(folder());
      // A local folder also names the folders it made; every repository names each file.
      expect(stored).toEqual(expect.arrayContaining(['model/MLmodel', 'model/data/weights.bin', 'model/model.onnx']));
      expect(await repo.list(undefined, true)).toEqual([
        { path: 'model', is_dir: true },
        { path: 'model/data', is_dir: true },
        { path: 'model/data/weights.bin', is_dir: false, file_size: 4 },
        { path: 'model/MLmodel', is_dir: false, file_size: 12 },
        { path: 'model/model.onnx', is_dir: false, file_size: 3000 },
      ]);
      expect(await repo.list('model')).toEqual([
        { path: 'model/data', is_dir: true },
        { path: 'model/MLmodel', is_dir: false, file_size: 12 },
        { path: 'model/model.onnx', is_dir: false, file_size: 3000 },
      ]);
    });

    it('lists a file as itself', async () => {
      await repo.log(folder());
      expect(await repo.list('model/model.onnx')).toEqual([{ path: 'model/model.onnx', is_dir: false, file_size: 3000 }]);
    });

    it('downloads a file byte for byte, replacing the destination whole', async () => {
      const src = folder();
      await repo.log(src, 'a/b');
      const dest = path.join(tmp, `down-${Date.now()}.bin`);
      fs.writeFileSync(dest, 'old');
      await repo.download('a/b/model/data/weights.bin', dest);
      expect(fs.readFileSync(dest)).toEqual(Buffer.from([0, 1, 2, 255]));
    });

    it('a missing artifact is RESOURCE_DOES_NOT_EXIST naming it, and leaves the destination alone', async () => {
      const dest = path.join(tmp, `missing-${Date.now()}.bin`);
      const err = await repo.download('no/such.bin', dest).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MlxError);
      expect((err as MlxError).code).toBe('RESOURCE_DOES_NOT_EXIST');
      expect((err as MlxError).message).toContain('no/such.bin');
      expect(fs.existsSync(dest)).toBe(false);
      expect(fs.readdirSync(tmp).filter((f) => f.startsWith(path.basename(dest)))).toEqual([]);
    });

    it('openWriter stores what was written once closed', async () => {
      const w = repo.openWriter('logs/output.txt');
      w.stream.write('line 1\n');
      w.stream.write('line 2\n');
      await w.close();
      const dest = path.join(tmp, `out-${Date.now()}.txt`);
      await repo.download('logs/output.txt', dest);
      expect(fs.readFileSync(dest, 'utf8')).toBe('line 1\nline 2\n');
      expect(await repo.list('logs')).toEqual([{ path: 'logs/output.txt', is_dir: false, file_size: 14 }]);
    });

    it('refuses paths that would leave the repository, before anything is written', async () => {
      const file = path.join(tmp, 'x.txt');
      fs.writeFileSync(file, 'x');
      await expect(repo.log(file, '../escape')).rejects.toThrow(/escape/);
      await expect(repo.list('../..')).rejects.toThrow(/escape/);
      expect(await repo.list()).toEqual([]);
    });

    it('a failed log leaves nothing behind: an unreadable source is refused before the first byte', async () => {
      await expect(repo.log(path.join(tmp, 'does-not-exist'))).rejects.toThrow(/does not exist/);
      expect(await repo.list()).toEqual([]);
    });
  });
}
