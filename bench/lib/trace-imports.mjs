// Preload (`node --import ./bench/lib/trace-imports.mjs …`) that records every module the
// process loads into the file named by MLX_TRACE_FILE: ESM through a resolve hook
// (module.register, Node >= 20.6), CommonJS through require.cache at exit.
import fs from 'node:fs';
import { createRequire, register } from 'node:module';

const out = process.env.MLX_TRACE_FILE;
if (out) {
  register('./trace-hooks.mjs', import.meta.url, { data: { out } });
  const cache = createRequire(import.meta.url).cache;
  process.on('exit', () => {
    const files = Object.keys(cache).map((f) => `cjs ${f}`);
    fs.appendFileSync(out, files.length ? `${files.join('\n')}\n` : '');
  });
}
