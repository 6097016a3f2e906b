// `mlx data` against the tools it is measured by, in one run (ratios side by side):
//   add of one big file            vs sha256sum of it            (target: >= 80% of its throughput)
//   add of a folder of small files vs sha256sum over them (xargs)  (target: >= 50%, peak RSS < 300 MB)
//   status, nothing changed / one file changed                    (targets: < 1 s / < 1.5 s, process start included)
//   push then pull, folder remote  vs cp -r of the folder          (target: >= 50% of cp -r)
//   push then pull, mlx server on 127.0.0.1 (reported)
// BENCH_DATA_SKIP_SERVER=1 leaves the server out (it takes the longest: one request per object).
// BENCH_DATA_ONLY_SMALL=1 runs only the small-files part (add, add --link, status, folder remote).
// Sizes: BENCH_DATA_BIG_MB (default 1024) and BENCH_DATA_FILES (default 100000 files of ~15 KB = ~1.5 GB).
// The page cache is warmed before each timed pair so both sides read from memory (the fair, repeatable case).
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isMain, machine, makeTemp, MLX, NODE, rmTemp, round, timeSpawn } from './lib/util.mjs';

const BIG_MB = Number(process.env.BENCH_DATA_BIG_MB ?? 1024);
const FILES = Number(process.env.BENCH_DATA_FILES ?? 100_000);

const env = () => {
  const e = { ...process.env, NO_COLOR: '1' };
  delete e.MLX_RUN_ID;
  delete e.MLX_TRACKING_URI;
  return e;
};

/** Times `mlx ARGS` in cwd with GNU time for the peak RSS; throws on failure. */
async function timedMlx(cwd, args, extraEnv = {}) {
  const r = await timeSpawn('/usr/bin/time', ['-f', 'MAXRSS_KB=%M', NODE, MLX, ...args], { cwd, env: { ...env(), ...extraEnv } });
  if (r.code !== 0) throw new Error(`mlx ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  const rss = /MAXRSS_KB=(\d+)/.exec(r.stderr);
  return { ms: r.ms, rss_mb: rss ? round(Number(rss[1]) / 1024, 1) : null, stdout: r.stdout };
}

async function timed(cmd, args, opts = {}) {
  const r = await timeSpawn(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} exited ${r.code}: ${r.stderr}`);
  return r.ms;
}

/** Reads every file once so both sides of a comparison start from a warm page cache. */
const warm = (target) => execFileSync('sh', ['-c', `find "${target}" -type f -print0 | xargs -0 cat > /dev/null`]);

function makeBigFile(file, mb) {
  const block = randomBytes(16 << 20);
  const fd = fs.openSync(file, 'w');
  for (let written = 0; written < mb; written += 16) {
    block.writeUInt32LE(written, 0);
    fs.writeSync(fd, block, 0, Math.min(16, mb - written) << 20);
  }
  fs.closeSync(fd);
}

function makeSmallFiles(dir, n) {
  const base = randomBytes(32 * 1024);
  for (let i = 0; i < n; i++) {
    const sub = path.join(dir, `d${String(Math.floor(i / 1000)).padStart(3, '0')}`);
    if (i % 1000 === 0) fs.mkdirSync(sub, { recursive: true });
    const size = 10_000 + ((i * 7919) % 10_000); // 10-20 KB, ~15 KB on average
    const buf = Buffer.from(base.subarray(i % 1024, (i % 1024) + size));
    buf.writeUInt32LE(i, 0);
    fs.writeFileSync(path.join(sub, `f${i}.bin`), buf);
  }
}

const project = () => {
  const dir = makeTemp('mlx-bench-data-');
  execFileSync('git', ['init', '-q'], { cwd: dir });
  return dir;
};

async function benchBig() {
  const dir = project();
  try {
    const file = path.join(dir, 'big.bin');
    makeBigFile(file, BIG_MB);
    warm(file);
    const sha = await timed('sha256sum', [file]);
    const add = await timedMlx(dir, ['data', 'add', 'big.bin']);
    const again = await timedMlx(dir, ['data', 'add', 'big.bin']);
    const mbps = (ms) => round(BIG_MB / (ms / 1000), 1);
    return {
      size_mb: BIG_MB,
      sha256sum_ms: round(sha),
      mlx_add_ms: round(add.ms),
      sha256sum_mb_s: mbps(sha),
      mlx_add_mb_s: mbps(add.ms),
      ratio_of_sha256sum: round(sha / add.ms, 3),
      readd_unchanged_ms: round(again.ms),
      peak_rss_mb: add.rss_mb,
      pass: sha / add.ms >= 0.8,
    };
  } finally {
    rmTemp(dir);
  }
}

async function benchSmall() {
  const dir = project();
  const remote = makeTemp('mlx-bench-remote-');
  const copy = makeTemp('mlx-bench-cp-');
  const clone = project();
  const serverDir = makeTemp('mlx-bench-data-server-');
  let server;
  try {
    const data = path.join(dir, 'data');
    makeSmallFiles(data, FILES);
    const bytes = Number(execFileSync('du', ['-sb', data], { encoding: 'utf8' }).split('\t')[0]);
    warm(data);
    const sha = await timed('sh', ['-c', 'find data -type f -print0 | xargs -0 sha256sum > /dev/null'], { cwd: dir });
    const shaParallel = await timed('sh', ['-c', 'find data -type f -print0 | xargs -0 -P2 -n5000 sha256sum > /dev/null'], { cwd: dir });
    const add = await timedMlx(dir, ['data', 'add', 'data']);
    // The same add in --link mode (hard links into the cache, no bytes written), on an empty cache;
    // the copy-mode cache is put back afterwards so the rest runs as before.
    fs.renameSync(path.join(dir, '.mlx'), path.join(dir, '.mlx-copy'));
    const addLink = await timedMlx(dir, ['data', 'add', 'data', '--link']);
    execFileSync('chmod', ['-R', 'u+w', data]);
    fs.rmSync(path.join(dir, '.mlx'), { recursive: true, force: true });
    fs.renameSync(path.join(dir, '.mlx-copy'), path.join(dir, '.mlx'));
    const status = await timedMlx(dir, ['data', 'status']);
    const changed = path.join(data, 'd000', 'f1.bin');
    fs.appendFileSync(changed, 'x');
    const status1 = await timedMlx(dir, ['data', 'status']);
    const status1Says = status1.stdout.includes('modified: data/d000/f1.bin');
    fs.truncateSync(changed, fs.statSync(changed).size - 1);
    // Folder remote: push, then pull into a clone (cache empty, data checked out by links) vs cp -r.
    const cp = await timed('cp', ['-r', data, path.join(copy, 'data')]);
    execFileSync(NODE, [MLX, 'data', 'remote', 'add', 'nas', remote], { cwd: dir, env: env() });
    const push = await timedMlx(dir, ['data', 'push']);
    fs.copyFileSync(path.join(dir, 'data.mlx.json'), path.join(clone, 'data.mlx.json'));
    fs.mkdirSync(path.join(clone, '.mlx'));
    fs.copyFileSync(path.join(dir, '.mlx/config.json'), path.join(clone, '.mlx/config.json'));
    const pull = await timedMlx(clone, ['data', 'pull']);
    process.stderr.write(
      `bench: data.small_files sha256sum ${round(sha)} ms, add ${round(add.ms)} ms (${add.rss_mb} MB), add --link ${round(addLink.ms)} ms, status ${round(status.ms)} / ${round(status1.ms)} ms, cp -r ${round(cp)} ms, push ${round(push.ms)} ms, pull ${round(pull.ms)} ms\n`,
    );
    if (process.env.BENCH_DATA_SKIP_SERVER === '1') return smallResult({ sha, shaParallel, add, addLink, status, status1, status1Says, cp, push, pull, bytes });
    // mlx server: the same folder through the artifact proxy.
    server = spawn(NODE, [MLX, 'server', '--port', '0'], { cwd: serverDir, env: env(), stdio: ['ignore', 'ignore', 'pipe'] });
    const base = await new Promise((resolve, reject) => {
      let err = '';
      server.stderr.on('data', (d) => {
        err += d;
        const m = /listening on (http:\/\/[^\s]+)/.exec(err);
        if (m) resolve(m[1].replace(/\/$/, ''));
      });
      server.on('exit', () => reject(new Error(err)));
    });
    execFileSync(NODE, [MLX, 'data', 'remote', 'add', 'srv', base], { cwd: dir, env: env() });
    const spush = await timedMlx(dir, ['data', 'push', '--remote', 'srv']);
    fs.rmSync(path.join(clone, '.mlx/objects'), { recursive: true, force: true });
    fs.rmSync(path.join(clone, 'data'), { recursive: true, force: true });
    execFileSync(NODE, [MLX, 'data', 'remote', 'add', 'srv', base], { cwd: clone, env: env() });
    const spull = await timedMlx(clone, ['data', 'pull', '--remote', 'srv']);
    return {
      ...smallResult({ sha, shaParallel, add, addLink, status, status1, status1Says, cp, push, pull, bytes }),
      server_push_ms: round(spush.ms),
      server_pull_ms: round(spull.ms),
    };
  } finally {
    server?.kill('SIGKILL');
    for (const d of [dir, remote, copy, clone, serverDir]) rmTemp(d);
  }
}

function smallResult({ sha, shaParallel, add, addLink, status, status1, status1Says, cp, push, pull, bytes }) {
  return {
    files: FILES,
    bytes,
    sha256sum_xargs_ms: round(sha),
    sha256sum_xargs_p2_ms: round(shaParallel),
    mlx_add_ms: round(add.ms),
    add_ratio_of_sha256sum: round(sha / add.ms, 3),
    add_peak_rss_mb: add.rss_mb,
    mlx_add_link_ms: round(addLink.ms),
    add_link_ratio_of_sha256sum: round(sha / addLink.ms, 3),
    add_link_peak_rss_mb: addLink.rss_mb,
    status_unchanged_ms: round(status.ms),
    status_one_changed_ms: round(status1.ms),
    status_one_changed_found: status1Says,
    status_peak_rss_mb: status.rss_mb,
    cp_r_ms: round(cp),
    folder_push_ms: round(push.ms),
    folder_pull_ms: round(pull.ms),
    push_ratio_of_cp: round(cp / push.ms, 3),
    pull_ratio_of_cp: round(cp / pull.ms, 3),
    pass: {
      add_50pct_of_sha256sum: sha / add.ms >= 0.5,
      add_rss_under_300mb: add.rss_mb !== null && add.rss_mb < 300,
      add_link_50pct_of_sha256sum: sha / addLink.ms >= 0.5,
      status_unchanged_under_1s: status.ms < 1000,
      status_one_changed_under_1500ms: status1.ms < 1500 && status1Says,
      folder_push_50pct_of_cp: cp / push.ms >= 0.5,
      folder_pull_50pct_of_cp: cp / pull.ms >= 0.5,
    },
  };
}

export async function benchData() {
  if (process.env.BENCH_DATA_ONLY_SMALL === '1') return { machine: machine(), small_files: await benchSmall() };
  const big = await benchBig();
  // Each part is on stderr as soon as it is measured (the whole run takes minutes on a busy machine).
  process.stderr.write(`bench: data.big_file ${JSON.stringify(big)}\n`);
  return { machine: machine(), big_file: big, small_files: await benchSmall() };
}

if (isMain(import.meta.url)) {
  process.stdout.write(`${JSON.stringify(await benchData(), null, 2)}\n`);
}
