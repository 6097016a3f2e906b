// A Dockerfile "built" without Docker, for the image smoke test: each stage gets a folder standing for
// its root filesystem, and the instructions the generated Dockerfile uses are carried out there: ARG,
// FROM, WORKDIR, ENV, COPY (from the context or another stage) and RUN (by /bin/sh on this machine).
// What it proves: the context holds everything the Dockerfile copies, and its commands work.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './cli.js';

export interface Instruction {
  op: string;
  args: string;
}

/** The instructions of a Dockerfile: comments dropped, continuation lines joined. */
export function parseDockerfile(text: string): Instruction[] {
  const lines = text.split('\n').filter((l) => !/^\s*#/.test(l));
  return lines
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(l)!;
      return { op: m[1].toUpperCase(), args: m[2].trim() };
    });
}

export interface Stage {
  name: string | null;
  /** The folder standing for the stage's root filesystem. */
  root: string;
  workdir: string;
  /** Variables set by ENV, as the container would see them. */
  env: Record<string, string>;
  user: string | null;
  expose: number[];
  entrypoint: string[];
  cmd: string[];
  healthcheck: string[];
  /** RUN commands run, and the ones left to the base image's package manager. */
  ran: string[];
  skipped: string[];
}

export interface EmulateOptions {
  /** RUN commands matching this are not run (system packages, which this machine has). */
  skipRun?: RegExp;
  /** Extra environment for RUN (e.g. npm settings). */
  runEnv?: Record<string, string>;
  /** PATH of the base image, before any ENV. */
  basePath: string;
}

const expand = (text: string, vars: Record<string, string>) => text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string, b: string) => vars[a ?? b] ?? '');

/** Parses ENV's `K=V K2="V 2"` form. */
function envPairs(args: string): [string, string][] {
  return [...args.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S*)/g)].map(([, k, v]) => [k, v.startsWith('"') ? JSON.parse(v) : v]);
}

/** A container path inside a stage's folder. */
export const inRoot = (stage: Stage, p: string) => path.join(stage.root, path.posix.resolve(stage.workdir, p));

/** The PATH of a stage on this machine: components that exist inside the stage's folder point there. */
export function hostPath(stage: Stage): string {
  return (stage.env.PATH ?? '')
    .split(':')
    .map((c) => (c.startsWith('/') && fs.existsSync(path.join(stage.root, c)) ? path.join(stage.root, c) : c))
    .join(':');
}

/** Carries out a Dockerfile's instructions stage by stage under root, with contextDir as the build context; returns the stages. */
export function emulateBuild(dockerfile: string, contextDir: string, root: string, opts: EmulateOptions): Stage[] {
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  let st: Stage | null = null;
  for (const { op, args: a } of parseDockerfile(dockerfile)) {
    if (op === 'ARG') {
      const [k, v] = a.split('=');
      args[k] = v ?? '';
      continue;
    }
    if (op === 'FROM') {
      const name = /\s+AS\s+(\S+)$/i.exec(a)?.[1] ?? null;
      st = {
        name,
        root: path.join(root, `stage-${stages.length}`),
        workdir: '/',
        env: { PATH: opts.basePath },
        user: null,
        expose: [],
        entrypoint: [],
        cmd: [],
        healthcheck: [],
        ran: [],
        skipped: [],
      };
      fs.mkdirSync(st.root, { recursive: true });
      stages.push(st);
      continue;
    }
    if (!st) throw new Error(`${op} before FROM`);
    const s: Stage = st;
    switch (op) {
      case 'WORKDIR':
        s.workdir = path.posix.resolve(s.workdir, a);
        fs.mkdirSync(inRoot(s, '.'), { recursive: true });
        break;
      case 'ENV':
        for (const [k, v] of envPairs(a)) s.env[k] = expand(v, s.env);
        break;
      case 'COPY': {
        const words = a.split(/\s+/);
        const from = words[0].startsWith('--from=') ? stages.find((x) => x.name === words.shift()!.slice(7)) : undefined;
        const dest = words.pop()!;
        for (const src of words) {
          const source = from ? path.join(from.root, src) : path.join(contextDir, src);
          if (!fs.existsSync(source)) throw new Error(`COPY ${src}: not in the ${from ? `stage ${from.name}` : 'build context'}`);
          const isDir = fs.statSync(source).isDirectory();
          const target = dest.endsWith('/') && !isDir ? path.join(inRoot(s, dest), path.basename(src)) : inRoot(s, dest);
          fs.mkdirSync(path.dirname(target), { recursive: true });
          fs.cpSync(source, target, { recursive: true, verbatimSymlinks: true });
        }
        break;
      }
      case 'RUN': {
        if (opts.skipRun?.test(a)) {
          s.skipped.push(a);
          break;
        }
        const r = spawnSync('/bin/sh', ['-c', a], {
          cwd: inRoot(s, '.'),
          env: { ...cleanHostEnv(), ...s.env, ...opts.runEnv, PATH: hostPath(s) },
          encoding: 'utf8',
          timeout: 900_000,
        });
        if (r.status !== 0) throw new Error(`RUN ${a} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stdout}\n${r.stderr}`);
        s.ran.push(a);
        break;
      }
      case 'USER':
        s.user = a;
        break;
      case 'EXPOSE':
        s.expose.push(Number(a));
        break;
      case 'ENTRYPOINT':
        s.entrypoint = JSON.parse(a);
        break;
      case 'CMD':
        s.cmd = JSON.parse(a);
        break;
      case 'HEALTHCHECK':
        s.healthcheck = JSON.parse(/\bCMD\s+(\[.*\])$/.exec(a)![1]);
        break;
      case 'LABEL':
        break;
      default:
        throw new Error(`the emulator does not know ${op}`);
    }
  }
  return stages;
}

/**
 * The environment for a RUN's `npm install`: npm prefers its cache, and better-sqlite3's install script
 * (prebuild-install) finds the binary this checkout already built as a local prebuild. A Docker build
 * on node:20 downloads that same prebuild from GitHub; this machine cannot reach GitHub, and compiling
 * SQLite again (a minute or more of both cores) tests nothing of ours. The folder is one per version
 * and Node ABI, so runs reuse it; the tarball is renamed into place, so two test files can make it at once.
 */
export function npmInstallEnv(): Record<string, string> {
  const pkg = path.join(ROOT, 'node_modules/better-sqlite3');
  const { version } = JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8')) as { version: string };
  const dir = path.join(os.tmpdir(), `mlx-test-prebuilds-${version}-${process.versions.modules}`);
  // prebuild-install's name for it: {name}-v{version}-{runtime}-v{abi}-{platform}{libc}-{arch}.tar.gz (libc empty for glibc).
  const tarball = path.join(dir, `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`);
  if (!fs.existsSync(tarball)) {
    fs.mkdirSync(dir, { recursive: true });
    const tmp = `${tarball}.${process.pid}.tmp`;
    const r = spawnSync('tar', ['-czf', tmp, '-C', pkg, 'build/Release/better_sqlite3.node'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`could not pack better-sqlite3's binary as a prebuild: ${r.stderr || r.error?.message}`);
    fs.renameSync(tmp, tarball);
  }
  return { npm_config_prefer_offline: 'true', npm_config_better_sqlite3_local_prebuilds: dir };
}

/** This process's environment without what npm, vitest or mlx put there, so a RUN sees a plain shell's. */
export function cleanHostEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && !/^(npm_|MLX_|VITEST|NODE_OPTIONS|INIT_CWD)/i.test(k))) as Record<
    string,
    string
  >;
}

/** Finds an executable on a PATH, as exec-form ENTRYPOINT does. */
export function which(cmd: string, pathVar: string): string {
  if (cmd.includes('/')) return cmd;
  for (const dir of pathVar.split(':')) {
    const p = path.join(dir, cmd);
    if (dir && fs.existsSync(p)) return p;
  }
  throw new Error(`${cmd} is not on PATH ${pathVar}`);
}

/** The sources the Dockerfile COPYs from the context that its .dockerignore does not let through (none, when right). */
export function copiesIgnored(ctx: string, dockerfile: string): string[] {
  const allowed = new Set(
    fs
      .readFileSync(path.join(ctx, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('!'))
      .map((l) => l.slice(1)),
  );
  const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.*) \S+$/gm)].flatMap((m) => m[1].split(/\s+/));
  return sources.filter((src) => !allowed.has(src.replace(/\/$/, '')));
}
