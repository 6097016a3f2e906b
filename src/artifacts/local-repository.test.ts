import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { LocalArtifactRepository } from './local-repository.js';
import { runArtifactRepositoryContract } from './repository.contract.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-local-repo-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

runArtifactRepositoryContract('local folder', async () => new LocalArtifactRepository(fs.mkdtempSync(path.join(root, 'run-'))));
