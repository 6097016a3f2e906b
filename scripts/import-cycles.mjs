#!/usr/bin/env node
// Prints the import cycles among src/ modules (tests left out), one strongly connected group
// per line, and exits 1 if there is any: the same cycles as `npx madge --circular --extensions ts
// src`, without installing it. Every import counts: `import type` (a cycle in types is still two
// files that cannot be read one without the other) and lazy import() (it defers loading, not the
// dependency). --static leaves the lazy ones out. --folders checks the folders of src/ instead of
// its files: src/app, src/store… as one node each, and prints the folder graph (what imports what).
// Usage: node scripts/import-cycles.mjs [--static] [--folders] [root]   (root: the current folder)
import fs from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const dynamic = !args.includes('--static');
const byFolder = args.includes('--folders');
const root = path.resolve(args.find((a) => !a.startsWith('--')) ?? '.');
const src = path.join(root, 'src');

const files = [];
(function walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (/\.ts$/.test(e.name) && !/\.(test|contract)\.ts$/.test(e.name) && !e.name.endsWith('.d.ts')) files.push(p);
  }
})(src);

const STATIC = /^\s*(?:import|export)\s[^'"]*?\sfrom\s*['"](\.{1,2}\/[^'"]+)['"]|^\s*import\s*['"](\.{1,2}\/[^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;
const edges = new Map(files.map((f) => [f, new Set()]));
for (const f of files) {
  const text = fs.readFileSync(f, 'utf8');
  const specs = [...text.matchAll(STATIC)].map((m) => m[1] ?? m[2]);
  if (dynamic) specs.push(...[...text.matchAll(DYNAMIC)].map((m) => m[1]));
  for (const s of specs) {
    const target = path.resolve(path.dirname(f), s).replace(/\.js$/, '.ts');
    if (edges.has(target) && target !== f) edges.get(f).add(target);
  }
}

if (byFolder) {
  // One node per top-level folder of src/ (a file directly in src/ is its own node).
  const folderOf = (f) => path.relative(src, f).split(path.sep)[0];
  const folders = new Map();
  for (const [f, targets] of edges) {
    const from = folderOf(f);
    if (!folders.has(from)) folders.set(from, new Set());
    for (const t of targets) if (folderOf(t) !== from) folders.get(from).add(folderOf(t));
  }
  edges.clear();
  files.length = 0;
  for (const [from, to] of folders) {
    const node = path.join(src, from);
    files.push(node);
    edges.set(node, new Set([...to].map((t) => path.join(src, t))));
  }
  for (const [from, to] of [...folders].sort()) console.log(`${from} -> ${[...to].sort().join(', ') || '(nothing)'}`);
}

// Tarjan's strongly connected components: every group of two or more files is a cycle.
let index = 0;
const idx = new Map(),
  low = new Map(),
  stack = [],
  on = new Set(),
  groups = [];
function visit(v) {
  idx.set(v, index);
  low.set(v, index++);
  stack.push(v);
  on.add(v);
  for (const w of edges.get(v)) {
    if (!idx.has(w)) {
      visit(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const group = [];
    let w;
    do {
      w = stack.pop();
      on.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1) groups.push(group.map((g) => path.relative(src, g)).sort());
  }
}
for (const f of files) if (!idx.has(f)) visit(f);

for (const g of groups.sort((a, b) => a[0].localeCompare(b[0]))) console.log(g.join(' <-> '));
console.log(
  `${groups.length} import cycle${groups.length === 1 ? '' : 's'} among ${files.length} ${byFolder ? 'folders' : 'modules'}${dynamic ? '' : ' (lazy imports left out)'}`,
);
process.exit(groups.length ? 1 : 0);
