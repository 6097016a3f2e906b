import { createHash } from 'node:crypto';
import path from 'node:path';
import { buildCommand } from './docker.js';
import type { BuildPlan } from './plan.js';

/** What writeContext wrote: the folder and each file's size. */
export interface Written {
  out: string;
  files: { path: string; size: number }[];
}

/** The output folder as the user would type it: relative to the current folder when inside it. */
export function displayDir(out: string): string {
  const rel = path.relative(process.cwd(), path.resolve(out));
  return rel === '' ? '.' : rel.startsWith('..') ? path.resolve(out) : rel;
}

/** The commands that take a written context further: build, run, compose, and kubectl with --k8s. */
export function nextCommands(plan: BuildPlan): Record<string, string> {
  const dir = displayDir(plan.out);
  return {
    build: buildCommand(plan.image, dir),
    run: plan.runCommand,
    compose: `docker-compose -f ${path.join(dir, 'docker-compose.yml')} up -d --build`,
    test: `curl -s http://127.0.0.1:${plan.port}/health`,
    ...(plan.k8s ? { kubernetes: `kubectl apply -k ${path.join(dir, 'k8s')}` } : {}),
  };
}

/** The JSON document of `mlx containerize --json`: files with their text (secrets left out) on a dry run. */
export function planJson(plan: BuildPlan, written: Written | null, extra: Record<string, unknown> = {}) {
  return {
    out: written?.out ?? path.resolve(plan.out),
    dry_run: written === null,
    image: plan.image,
    ...plan.describe,
    files: written
      ? written.files
      : plan.files.map((f) => ({
          path: f.path,
          size: f.size,
          ...(typeof f.content === 'string' && !f.secret ? { content: f.content } : {}),
          ...(f.secret ? { secret: true } : {}),
        })),
    commands: nextCommands(plan),
    warnings: plan.warnings,
    ...extra,
  };
}

/** `--dry-run`: every file with its size, text files in full (secrets excepted), binary ones described. */
export function dryRunListing(plan: BuildPlan): string {
  const parts = [`Dry run: ${plan.subject} would be written to ${path.resolve(plan.out)} (image ${plan.image}):`, ''];
  for (const f of plan.files) {
    if (f.pack) parts.push(`  ${f.path}  (npm pack of mlx at ${plan.mlxRoot})`);
    else parts.push(`  ${f.path}  ${f.size} bytes${f.secret ? ' (secrets, written with mode 0600; not shown)' : ''}`);
  }
  for (const f of plan.files) {
    if (f.secret) continue;
    if (typeof f.content === 'string') parts.push('', `===== ${f.path} =====`, f.content.trimEnd());
    else if (f.content) parts.push('', `===== ${f.path} =====`, `(binary, ${f.size} bytes, sha256 ${createHash('sha256').update(f.content).digest('hex')})`);
  }
  return `${parts.join('\n')}\n`;
}

/** The human summary after writing: where, how big, and what to run next. */
export function writtenSummary(plan: BuildPlan, written: Written): string {
  const total = written.files.reduce((a, f) => a + f.size, 0);
  const c = nextCommands(plan);
  const lines = [
    `Wrote ${plan.subject} to ${written.out} (${written.files.length} files, ${(total / 2 ** 20).toFixed(1)} MiB)`,
    `  build    ${c.build}`,
    `  run      ${c.run}`,
    `  compose  ${c.compose}`,
    ...(c.kubernetes ? [`  k8s      ${c.kubernetes}`] : []),
    ...plan.notes.map((n) => `  ${n}`),
    `  see ${path.join(written.out, 'README.md')}`,
  ];
  return `${lines.join('\n')}\n`;
}
