// The artifact proxy's repository runs the contract against a real `mlx server` (spawned, one
// store for the file, a fresh run for each test).
import { afterAll } from 'vitest';
import { startTrackingServer, stopTrackingServers } from '../../test/helpers/tracking-server.js';
import { artifactRepository } from './open-repository.js';
import { runArtifactRepositoryContract } from './repository.contract.js';

let started: ReturnType<typeof startTrackingServer> | null = null;
const server = () => (started ??= startTrackingServer());
afterAll(stopTrackingServers);

async function post(base: string, route: string, body: unknown): Promise<any> {
  const res = await fetch(`${base}/api/2.0/mlflow/${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${route}: ${res.status} ${await res.text()}`);
  return res.json();
}

runArtifactRepositoryContract('mlx server artifact proxy (mlflow-artifacts:/)', async () => {
  const { url } = await server();
  const run = (await post(url, 'runs/create', { experiment_id: '0' })).run;
  return artifactRepository(run.info.artifact_uri, url);
});
