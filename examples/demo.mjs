// `npm run demo`: the seed tutorial's whole ML lifecycle on this machine, with no Python, no Docker
// and no network: a reproducible pipeline (mlx.yaml, `mlx repro`: a second run does nothing, a changed
// param re-runs one stage), experiment tracking, the model registry, serving, containerizing, drift
// detection, and the monitoring loop (live traffic logged, drift from it). Every step is a real
// `mlx` command, printed before it runs, so you can type it yourself afterwards.
//
// Everything goes into ./mlx-demo/ (made afresh on each run): the embedded default store in
// mlx-demo/.mlx, the examples' data, the container build context and the drift reports. The
// servers it starts are stopped at the end, also on Ctrl-C or a failure.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const examples = path.join(root, 'examples');
const work = path.resolve(process.env.MLX_DEMO_DIR ?? path.join(process.cwd(), 'mlx-demo'));
const store = path.join(work, '.mlx');
const started = Date.now();

// `mlx` on PATH for the demo and the example scripts, as `npm link` would put it there.
const binDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-bin-'));
fs.symlinkSync(path.join(root, 'bin/mlx.js'), path.join(binDir, 'mlx'));
const env = { ...process.env, PATH: `${binDir}${path.delimiter}${process.env.PATH}`, MLX_TRACKING_URI: store };
delete env.MLX_RUN_ID;
delete env.MLX_EXPERIMENT;

const servers = new Set();
const quote = (a) => (/^[\w./:=@,+%-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`);
const rel = (p) => (path.relative(process.cwd(), p).startsWith('..') ? p : `./${path.relative(process.cwd(), p)}`);
const section = (title) => console.log(`\n\x1b[1m=== ${title} ${'='.repeat(Math.max(0, 72 - title.length))}\x1b[0m`);

/** Prints a command as you would type it, then runs it with its output streaming. ok: exit codes that are not failures. */
function show(cmd, args, { cwd = work, ok = [0] } = {}) {
  console.log(`\n$ ${[cmd, ...args].map(quote).join(' ')}`);
  try {
    execFileSync(cmd, args, { cwd, env, stdio: 'inherit' });
    return 0;
  } catch (err) {
    if (ok.includes(err.status)) return err.status;
    throw err;
  }
}
const mlxJson = (...args) => JSON.parse(execFileSync('mlx', [...args, '--json'], { cwd: work, env, encoding: 'utf8' }));

/** Starts `mlx serve` in the background on a free port; resolves once /ready answers 200. */
async function serve(args) {
  console.log(`\n$ ${['mlx', 'serve', ...args, '--port', '0'].map(quote).join(' ')} &`);
  const proc = spawn('mlx', ['serve', ...args, '--port', '0'], { cwd: work, env, stdio: ['ignore', 'ignore', 'pipe'] });
  servers.add(proc);
  proc.on('exit', () => servers.delete(proc));
  let log = '';
  const url = await new Promise((resolve, reject) => {
    proc.stderr.setEncoding('utf8').on('data', (d) => {
      log += d;
      const m = /listening on (http:\/\/[^\s,]+)/.exec(log);
      if (m) resolve(m[1]);
    });
    proc.on('exit', (code) => reject(new Error(`mlx serve exited (${code}) before listening:\n${log}`)));
  });
  for (let i = 0; i < 300; i++) {
    if ((await fetch(`${url}/ready`).catch(() => null))?.status === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  process.stdout.write(log);
  return { url, proc };
}

async function stop(server) {
  if (server.proc.exitCode !== null) return;
  const exited = new Promise((r) => server.proc.once('exit', r));
  server.proc.kill('SIGTERM');
  await exited;
}

function cleanup() {
  for (const p of servers) p.kill('SIGTERM');
  fs.rmSync(binDir, { recursive: true, force: true });
}
process.on('SIGINT', () => (cleanup(), process.exit(130)));
process.on('SIGTERM', () => (cleanup(), process.exit(143)));

/** POSTs CSV rows to /invocations as MLflow's dataframe_split, in requests of 20 rows. */
async function sendRows(url, csvFile, limit) {
  const [header, ...lines] = fs.readFileSync(csvFile, 'utf8').trim().split('\n');
  const columns = header.split(',');
  const features = ['age', 'income', 'score', 'clicks', 'time'].map((c) => columns.indexOf(c));
  const rows = lines
    .slice(0, limit)
    .map((l) => l.split(','))
    .map((cells) => features.map((i) => Number(cells[i])));
  for (let i = 0; i < rows.length; i += 20) {
    const res = await fetch(`${url}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dataframe_split: { columns: ['age', 'income', 'score', 'clicks', 'time'], data: rows.slice(i, i + 20) } }),
    });
    if (res.status !== 200) throw new Error(`/invocations answered ${res.status}: ${await res.text()}`);
  }
  return rows.length;
}

try {
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  console.log(`mlx demo: everything goes into ${rel(work)} (the store is ${rel(store)})`);

  section('Part 1 of 4. A pipeline (mlx.yaml: data, training) run by mlx repro, tracked; register the best model, serve it (examples/image-classifier)');
  show('bash', [path.join(examples, 'image-classifier/run.sh'), path.join(work, 'image-classifier')]);

  section('Part 2 of 4. Detect drift between training data and production (examples/tabular-drift)');
  show('bash', [path.join(examples, 'tabular-drift/run.sh'), path.join(work, 'tabular-drift')]);

  section('Part 3 of 4. Containerize the champion: Dockerfile, compose with Prometheus, Kubernetes');
  show('mlx', ['containerize', 'models:/pets-classifier@champion', '--out', path.join(work, 'container'), '--k8s']);

  section('Part 4 of 4. The monitoring loop: log live traffic, then test it for drift');
  const data = path.join(work, 'tabular-drift', 'data');
  const server = await serve(['models:/customer-value@champion', '--log-inputs']);
  const calm = await sendRows(server.url, path.join(data, 'reference.csv'), 400);
  const shifted = await sendRows(server.url, path.join(data, 'production.csv'), 400);
  console.log(`sent ${calm} rows like the training data, then ${shifted} rows of the shifted production sample, to ${server.url}/invocations`);
  await stop(server);
  const live = path.join(work, 'live_drift.html');
  const liveExit = show(
    'mlx',
    ['drift', '--reference', path.join(data, 'reference.csv'), '--current', 'serving:customer-value', '--since', '10m', '--html', live, '--fail-on-drift'],
    { ok: [0, 3] },
  );
  console.log(liveExit === 3 ? 'exit code 3: drift detected in the served traffic (what a CI job or `mlx monitor --on-drift` acts on)' : 'no drift detected');

  section('Done');
  const runs = mlxJson('runs', 'list', '--experiment', 'image-classifier').runs.length + mlxJson('runs', 'list', '--experiment', 'customer-value').runs.length;
  const models = mlxJson('models', 'list');
  console.log(
    `In ${((Date.now() - started) / 1000).toFixed(0)} s: ${runs} runs tracked, ${models.registered_models.length} models registered, a model served and containerized, drift found twice.`,
  );
  console.log(`
What next (from ${rel(work)}, with mlx on your PATH via \`npm link\`, or \`npx mlx\`):
  cd ${rel(work)} && mlx ui                        # browse runs, charts, models: http://127.0.0.1:5000
  mlx serve models:/pets-classifier@champion       # then the seed's curl:
      curl -X POST "http://localhost:8000/predict" -F "file=@image-classifier/data/test_image.jpg"
  open ${rel(path.join(work, 'tabular-drift', 'drift_report.html'))}   # the drift report, column by column
  open ${rel(live)}                   # drift of the served traffic
  cat ${rel(path.join(work, 'container', 'README.md'))}               # build, run and deploy the container`);
} finally {
  cleanup();
}
