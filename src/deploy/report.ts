import { createHash } from 'node:crypto';
import path from 'node:path';
import type { ContextPlan } from './containerize.js';
import { buildCommand } from './docker.js';

/** The output folder as the user would type it: relative to the current folder when inside it. */
export function displayDir(out: string): string {
  const rel = path.relative(process.cwd(), path.resolve(out));
  return rel === '' ? '.' : rel.startsWith('..') ? path.resolve(out) : rel;
}

/** The commands that take a written context further: build, run, compose, and kubectl with --k8s. */
export function nextCommands(plan: ContextPlan): Record<string, string> {
  const dir = displayDir(plan.out);
  const s = plan.spec;
  return {
    build: buildCommand(plan.image, dir),
    run: `docker run --rm -p ${s.port}:${s.port} ${plan.image}`,
    compose: `docker-compose -f ${path.join(dir, 'docker-compose.yml')} up -d --build`,
    test: `curl -s http://127.0.0.1:${s.port}/health`,
    ...(s.k8s ? { kubernetes: `kubectl apply -k ${path.join(dir, 'k8s')}` } : {}),
  };
}

/** The JSON document of `mlx containerize --json`. */
export function planJson(plan: ContextPlan, written: { out: string; files: { path: string; size: number }[] } | null, extra: Record<string, unknown> = {}) {
  const b = plan.bundle;
  return {
    out: written?.out ?? path.resolve(plan.out),
    dry_run: written === null,
    image: plan.image,
    model: { name: b.name, version: b.version, uri: b.resolvedUri, sha256: b.sha256 },
    serve_command: ['mlx', ...serveCommand(plan)],
    files: written
      ? written.files
      : plan.files.map((f) => ({ path: f.path, size: f.size, ...(typeof f.content === 'string' ? { content: f.content } : {}) })),
    commands: nextCommands(plan),
    warnings: plan.warnings,
    ...extra,
  };
}

function serveCommand(plan: ContextPlan): string[] {
  // The Dockerfile's CMD is the source of truth; its JSON array is parsed back rather than rebuilt.
  const dockerfile = plan.files.find((f) => f.path === 'Dockerfile')!.content as string;
  return JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]) as string[];
}

/** `--dry-run`: every file with its size, text files in full, binary ones described. */
export function dryRunListing(plan: ContextPlan): string {
  const parts = [`Dry run: the build context for ${plan.bundle.resolvedUri} would be written to ${path.resolve(plan.out)} (image ${plan.image}):`, ''];
  for (const f of plan.files) {
    if (f.pack) parts.push(`  ${f.path}  (npm pack of mlx at ${plan.mlxRoot})`);
    else parts.push(`  ${f.path}  ${f.size} bytes`);
  }
  for (const f of plan.files) {
    if (typeof f.content === 'string') parts.push('', `===== ${f.path} =====`, f.content.trimEnd());
    else if (f.content) parts.push('', `===== ${f.path} =====`, `(binary, ${f.size} bytes, sha256 ${createHash('sha256').update(f.content).digest('hex')})`);
  }
  return `${parts.join('\n')}\n`;
}

/** The human summary after writing: where, how big, and what to run next. */
export function writtenSummary(plan: ContextPlan, written: { out: string; files: { path: string; size: number }[] }): string {
  const total = written.files.reduce((a, f) => a + f.size, 0);
  const c = nextCommands(plan);
  const lines = [
    `Wrote the build context for ${plan.bundle.resolvedUri} to ${written.out} (${written.files.length} files, ${(total / 2 ** 20).toFixed(1)} MiB)`,
    `  build    ${c.build}`,
    `  run      ${c.run}`,
    `  compose  ${c.compose}`,
    ...(c.kubernetes ? [`  k8s      ${c.kubernetes}`] : []),
    `  see ${path.join(written.out, 'README.md')}`,
  ];
  return `${lines.join('\n')}\n`;
}
