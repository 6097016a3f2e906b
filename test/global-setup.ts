// One throwaway PostgreSQL cluster for the whole `vitest run`, started here in vitest's own process
// and stopped at its end (test workers can be killed before their exit handlers run, which left
// clusters behind). The workers inherit MLX_TEST_POSTGRES_URL; test/helpers/postgres.ts uses it.
// Started only when some test file of the run uses PostgreSQL, and never when a URL is given.
import fs from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startCluster } from './helpers/postgres.js';

const USES_POSTGRES = /postgresForTests\(/;

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (process.env.MLX_TEST_POSTGRES_URL) return undefined;
  const files = (await project.globTestFiles()).testFiles;
  if (!files.some((f) => USES_POSTGRES.test(fs.readFileSync(path.resolve(f), 'utf8')))) return undefined;
  try {
    const pg = await startCluster();
    process.env.MLX_TEST_POSTGRES_URL = pg.url();
    return () => pg.stop();
  } catch {
    // No PostgreSQL here: each test file says so itself (or fails, in CI).
    return undefined;
  }
}
