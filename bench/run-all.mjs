// Runs every benchmark in turn (never in parallel: they would time each other) and prints one
// JSON object {machine, startup, log_batch, search}. `npm run bench` builds first, then runs this.
import { benchLogBatch } from './log-batch.mjs';
import { benchSearch } from './search.mjs';
import { benchStartup } from './startup.mjs';
import { machine } from './lib/util.mjs';

const result = { machine: machine() };
for (const [name, fn] of [
  ['startup', benchStartup],
  ['log_batch', benchLogBatch],
  ['search', benchSearch],
]) {
  process.stderr.write(`bench: ${name}…\n`);
  const t0 = process.hrtime.bigint();
  result[name] = await fn();
  process.stderr.write(`bench: ${name} done in ${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(1)} s\n`);
}
result.pass = {
  startup_mlx_version: result.startup.pass_mlx_version,
  startup_log_metric: result.startup.pass_log_metric,
  startup_no_heavy_modules: result.startup.modules.pass_no_heavy_modules,
  log_batch_ratio: result.log_batch.pass_ratio,
  log_batch_rss: result.log_batch.pass_rss,
  search: result.search.pass,
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
