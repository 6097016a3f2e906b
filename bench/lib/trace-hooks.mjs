// Loader hooks for trace-imports.mjs: append each resolved ESM URL to the trace file.
import fs from 'node:fs';

let out;

export async function initialize(data) {
  out = data.out;
}

export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  fs.appendFileSync(out, `esm ${r.url}\n`);
  return r;
}
