import fs from 'node:fs';
import path from 'node:path';
import { alreadyExists, invalid, notFound } from '../../core/errors.js';

/** A data remote as configured: its URL (a folder path, http(s)://HOST:PORT of an mlx server, or another artifact URI such as s3://bucket/prefix). */
export interface RemoteConfig {
  name: string;
  url: string;
  default: boolean;
}

/**
 * Remotes live in `.mlx/config.json` under "data" (`{"data": {"remotes": {"NAME": {"url": …}},
 * "default": "NAME"}}`): the one file of `.mlx/` that is committed (see `.mlx/.gitignore`), as
 * DVC commits `.dvc/config`, so a clone knows where to pull from. Credentials never go here: the
 * server token comes from MLX_TRACKING_TOKEN, object storage keys from their usual variables.
 */
const configFile = (root: string) => path.join(root, '.mlx', 'config.json');

function readConfig(root: string): Record<string, any> {
  const file = configFile(root);
  if (!fs.existsSync(file)) return {};
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (v && typeof v === 'object' && !Array.isArray(v)) return v;
  } catch {
    // Refused below.
  }
  throw invalid(`${file} is not a JSON object; fix it or remove it (it holds the data remotes)`);
}

function writeConfig(root: string, config: Record<string, any>): void {
  const file = configFile(root);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(config, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

export function listRemotes(root: string): RemoteConfig[] {
  const data = readConfig(root).data ?? {};
  const remotes = data.remotes && typeof data.remotes === 'object' ? data.remotes : {};
  return Object.entries(remotes)
    .filter(([, v]) => v && typeof (v as any).url === 'string')
    .map(([name, v]) => ({ name, url: (v as any).url as string, default: data.default === name }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Adds (or with `replace`, changes) a remote; `makeDefault` makes it the one push and pull use without --remote. */
export function addRemote(root: string, name: string, url: string, opts: { makeDefault?: boolean; replace?: boolean } = {}): RemoteConfig {
  if (!NAME.test(name)) throw invalid(`remote name ${JSON.stringify(name)} must be 1 to 64 letters, digits, "_", "." or "-"`);
  if (url.trim() === '' || /[\u0000-\u001f]/.test(url)) throw invalid(`remote URL ${JSON.stringify(url)} must be a folder path or a URL`);
  const config = readConfig(root);
  const data = (config.data ??= {});
  data.remotes ??= {};
  if (data.remotes[name] && !opts.replace)
    throw alreadyExists(`remote ${JSON.stringify(name)} exists (${data.remotes[name].url}); remove it first or pass --force`);
  data.remotes[name] = { url };
  if (opts.makeDefault || Object.keys(data.remotes).length === 1) data.default = name;
  writeConfig(root, config);
  return { name, url, default: data.default === name };
}

export function removeRemote(root: string, name: string): void {
  const config = readConfig(root);
  if (!config.data?.remotes?.[name]) throw notFound(`there is no remote ${JSON.stringify(name)}; \`mlx data remote list\` shows them`);
  delete config.data.remotes[name];
  if (config.data.default === name) delete config.data.default;
  writeConfig(root, config);
}

/** The remote named, else the default one; refused in one line saying how to add one. */
export function chooseRemote(root: string, name?: string): RemoteConfig {
  const all = listRemotes(root);
  if (name !== undefined) {
    const hit = all.find((r) => r.name === name);
    if (!hit)
      throw notFound(
        `there is no remote ${JSON.stringify(name)}${all.length ? ` (there are ${all.map((r) => r.name).join(', ')})` : ''}; add it with \`mlx data remote add ${name} URL\``,
      );
    return hit;
  }
  const def = all.find((r) => r.default);
  if (def) return def;
  if (all.length === 0)
    throw invalid('no data remote is configured; add one with `mlx data remote add NAME URL --default` (a folder or http://HOST:PORT of an mlx server)');
  throw invalid(`no default data remote among ${all.map((r) => r.name).join(', ')}; pass --remote NAME or set one with \`mlx data remote default NAME\``);
}

/** Makes an existing remote the default. */
export function setDefaultRemote(root: string, name: string): void {
  const config = readConfig(root);
  if (!config.data?.remotes?.[name]) throw notFound(`there is no remote ${JSON.stringify(name)}; \`mlx data remote list\` shows them`);
  config.data.default = name;
  writeConfig(root, config);
}
