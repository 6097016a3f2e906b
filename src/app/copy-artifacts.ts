import fs from 'node:fs';
import path from 'node:path';
import { filesIn } from '../artifacts/local-files.js';
import { artifactRepository } from '../artifacts/open-repository.js';

/**
 * Copies the contents of a local artifact folder to an artifact URI (a folder or s3://…, through
 * the repository of its scheme), file by file as `mlx log artifact` would; returns how many files.
 * `mlx db migrate --copy-artifacts` moves a store's runs this way.
 */
export async function copyArtifactFolder(localFolder: string, targetUri: string): Promise<number> {
  const repo = await artifactRepository(targetUri, localFolder);
  for (const name of fs.readdirSync(localFolder).sort()) await repo.log(path.join(localFolder, name));
  return filesIn(localFolder).length;
}
