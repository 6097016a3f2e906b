import fs from 'node:fs';
import path from 'node:path';

const join = (...parts: (string | undefined)[]) => parts.filter((p) => p).join('/');

/** The files of a local folder (recursively, sorted), as paths relative to it with forward slashes. */
export function filesIn(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const d of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const rel = join(prefix, d.name);
    const full = path.join(dir, d.name);
    // Links are followed, as the local repository copies them (dereference).
    const stat = fs.statSync(full);
    if (stat.isDirectory()) out.push(...filesIn(full, rel));
    else if (stat.isFile()) out.push(rel);
  }
  return out;
}
