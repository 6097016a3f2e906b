import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runStoreContract } from '../store.contract.js';
import { SqliteStore } from './sqlite-store.js';

runStoreContract('sqlite (file)', async () => new SqliteStore(fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-contract-'))));
runStoreContract('sqlite (memory)', async () => new SqliteStore(os.tmpdir(), { create: true, inMemory: true }));
