import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileError } from '../core/file-errors.js';
import { checkPackable, mlxPackage, mlxRoot } from './mlx-package.js';
import { imageCommand, markerFile, textFile, type BuildPlan } from './plan.js';
import { renderServerDockerFiles, renderServerK8sFiles, renderServerReadme, SECRETS_FILE, SERVER_APP, type ServerSpec } from './render-server.js';
import { ARTIFACTS_DIR, type ServerOptions } from './server-options.js';

/** The tracking server's build context, rendered in memory. */
export interface ServerPlan extends BuildPlan {
  spec: ServerSpec;
}

export const DEFAULT_SERVER_OUT = `build/${SERVER_APP}`;

/** A random secret: 48 hex digits, safe in a URI, a .env file and a shell without quoting. */
export const randomSecret = () => randomBytes(24).toString('hex');

/** Values kept from a .env being replaced must need no quoting or escaping either. */
const SAFE = /^[A-Za-z0-9._~-]{8,}$/;

/**
 * The secrets of an existing .env in the folder being replaced (--force), when it holds both:
 * PostgreSQL reads its password only when its volume is created, so a new one would lock the server out.
 */
export function keptSecrets(file: string): ServerSpec['secrets'] | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    // No .env: nothing to keep. One that cannot be read is refused, not replaced by new secrets.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw fileError(err, JSON.stringify(file));
  }
  const value = (key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(text)?.[1].trim();
  const postgresPassword = value('POSTGRES_PASSWORD');
  const serverToken = value('MLX_SERVER_TOKEN');
  return postgresPassword && serverToken && SAFE.test(postgresPassword) && SAFE.test(serverToken) ? { postgresPassword, serverToken } : null;
}

/** Renders every file of the tracking server's context: image, compose try-out with its secrets, k8s/ with --k8s, README. */
export function planServerContext(input: { out?: string; options: ServerOptions }): ServerPlan {
  const root = mlxRoot();
  checkPackable(root);
  const { version: mlxVersion, tarball } = mlxPackage(root);
  const o = input.options;
  const out = input.out ?? DEFAULT_SERVER_OUT;
  const kept = keptSecrets(path.join(out, SECRETS_FILE));
  const spec: ServerSpec = {
    ...o,
    mlxVersion,
    tarball,
    image: o.tag ?? `${SERVER_APP}:${mlxVersion}`,
    secrets: kept ?? { postgresPassword: randomSecret(), serverToken: randomSecret() },
  };
  const docker = renderServerDockerFiles(spec).map((f) => textFile(f.path, f.content, f.path === SECRETS_FILE));
  const files = [
    ...docker.slice(0, 3),
    { path: tarball, pack: true, size: null },
    ...docker.slice(3),
    ...(o.k8s ? renderServerK8sFiles(spec).map((f) => textFile(f.path, f.content)) : []),
  ];
  const subject = "the tracking server's build context";
  files.push(markerFile(subject, mlxVersion));
  files.push(textFile('README.md', renderServerReadme(spec, [...files.map((f) => f.path), 'README.md'])));
  const env = path.join(out, SECRETS_FILE);
  return {
    out,
    image: spec.image,
    spec,
    files,
    mlxRoot: root,
    warnings: kept ? [`kept the database password and API token of ${env}: the PostgreSQL volume was created with that password`] : [],
    subject,
    port: o.port,
    k8s: o.k8s,
    runCommand: `docker run --rm -p ${o.port}:${o.port} -e MLX_TRACKING_URI -e MLX_SERVER_TOKEN ${spec.image}`,
    describe: {
      tracking_server: {
        port: o.port,
        replicas: o.replicas,
        artifacts_destination: ARTIFACTS_DIR,
        secrets_file: SECRETS_FILE,
        ...(o.k8s ? { max_replicas: o.maxReplicas, secret_name: o.secretName, artifacts_storage: o.artifactsStorage.k8s, namespace: o.namespace ?? null } : {}),
      },
      server_command: imageCommand(files),
    },
    notes: [
      `secrets  ${SECRETS_FILE} in the folder (mode 0600): the database password and the API token clients send as MLX_TRACKING_TOKEN`,
      ...(o.k8s ? [`secret   kubectl create secret generic ${o.secretName} … before applying (see the README)`] : []),
    ],
  };
}
