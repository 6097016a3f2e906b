// The monitoring loop end to end (issue 8): `mlx serve --log-inputs` answers real traffic, `mlx
// monitor` checks it every few seconds against the training data; unshifted then shifted customers
// are sent (dataframe_split with the real column names, in another order than the model's), labels
// come back through POST /feedback, and we see drift reported for the shifted windows only, the
// retraining trigger run exactly once, and every check recorded in the monitoring run.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mlx, mlxJson, mlxSpawn, tempProject } from './helpers/cli.js';
import { query, seedDriftData, writeReference, type TabularData } from './helpers/inference-log.js';
import { postJson, register, startServe, stopAll, type Server } from './helpers/serve.js';
import { TABULAR_LABELS, tabularBytes } from './helpers/serving-fixtures.js';

const CHECKS = 4;
const EVERY_S = 4;
const HOOK =
  "require('node:fs').appendFileSync('retrain.log', process.env.MLX_DRIFT_REPORT ? require('node:fs').readFileSync(process.env.MLX_DRIFT_REPORT, 'utf8').replace(/\\n/g, ' ') + '\\n' : 'no report\\n');\n";

let monitor: ChildProcess | undefined;
afterAll(async () => {
  if (monitor && monitor.exitCode === null) monitor.kill('SIGKILL');
  await stopAll();
});

/** Reads a child's stdout as JSON lines; next() resolves with the next one. */
function jsonLines(p: ChildProcess, stderr: () => string) {
  const got: any[] = [];
  const waiting: ((v: any) => void)[] = [];
  let buf = '';
  p.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = JSON.parse(buf.slice(0, i));
      buf = buf.slice(i + 1);
      const w = waiting.shift();
      if (w) w(line);
      else got.push(line);
    }
  });
  const exited = new Promise<number | null>((resolve) => p.on('exit', (c) => resolve(c)));
  return {
    exited,
    next: () =>
      got.length
        ? Promise.resolve(got.shift())
        : Promise.race([
            new Promise<any>((resolve) => waiting.push(resolve)),
            exited.then((c) => Promise.reject(new Error(`mlx monitor exited (${c}) early:\n${stderr()}`))),
          ]),
  };
}

/** Sends every row as its own request (20 at a time), columns reversed; returns the request ids and when it ran. */
async function send(server: Server, data: TabularData) {
  const columns = [...data.featureNames].reverse();
  const from = Date.now();
  const ids: string[] = [];
  for (let i = 0; i < data.rows.length; i += 20) {
    const batch = data.rows.slice(i, i + 20).map(async (row, j) => {
      const res = await postJson(`${server.base}/invocations`, { dataframe_split: { columns, data: [[...row].reverse()] } });
      expect(res.status, await res.clone().text()).toBe(200);
      await res.arrayBuffer();
      ids[i + j] = res.headers.get('x-mlx-request-id')!;
    });
    await Promise.all(batch);
  }
  return { ids, from, to: Date.now() };
}

describe('serve --log-inputs → feedback → monitor → retraining trigger', () => {
  it('drift is reported for the shifted windows only, the trigger runs once, every check is a metric step', async () => {
    const dir = tempProject('mlx-monitor-e2e-');
    fs.writeFileSync(path.join(dir, 'tabular.onnx'), tabularBytes());
    fs.writeFileSync(path.join(dir, 'labels.txt'), TABULAR_LABELS);
    register(dir, ['tabular.onnx', '--name', 'tab', '--labels', 'labels.txt']);
    writeReference(dir);
    fs.writeFileSync(path.join(dir, 'retrain.cjs'), HOOK);
    const server = await startServe(dir, 'models:/tab/1', ['--log-inputs']);

    let err = '';
    monitor = mlxSpawn(dir, [
      'monitor',
      'tab',
      '--reference',
      'train.csv',
      '--every',
      `${EVERY_S}s`,
      '--max-checks',
      String(CHECKS),
      '--min-rows',
      '50',
      '--json',
      '--log-to-run',
      '--on-drift',
      'node retrain.cjs',
    ]);
    monitor.stderr!.on('data', (d) => (err += d));
    const checks = jsonLines(monitor, () => err);

    // Each phase starts as soon as a check is printed, so it lands in the next window.
    const seen = [await checks.next()];
    const phases: { shifted: boolean; from: number; to: number; rows: number }[] = [];
    for (const [i, shift] of [0, 1, 1].entries()) {
      const data = seedDriftData(120, 11 + i, { shift });
      const sent = await send(server, data);
      phases.push({ shifted: shift > 0, from: sent.from, to: sent.to, rows: data.rows.length });
      const labels = sent.ids.map((id, k) => ({ request_id: id, label: data.classNames[data.labels[k]] }));
      const fb = await (await postJson(`${server.base}/feedback`, { feedback: [...labels, { request_id: 'no-such-request', label: 'low' }] })).json();
      expect(fb).toEqual({ matched: 120, unknown: ['no-such-request'] });
      seen.push(await checks.next());
    }
    expect(await checks.exited, err).toBe(0);

    // Windows tile: every logged row is in exactly one check.
    expect(seen.map((c) => c.check)).toEqual([1, 2, 3, 4]);
    expect(seen.reduce((n, c) => n + c.rows, 0)).toBe(360);
    expect(seen[0]).toMatchObject({ rows: 0, verdict: 'no-data', triggered: false });
    const overlaps = (c: any, shifted: boolean) =>
      phases.some((p) => p.shifted === shifted && p.from < Date.parse(c.window.until) && p.to >= Date.parse(c.window.since));
    const tested = seen.filter((c) => c.rows >= 50);
    for (const c of tested) {
      if (!overlaps(c, true)) expect(c, 'a window of unshifted traffic only').toMatchObject({ dataset_drift: false, verdict: 'clean' });
      if (!overlaps(c, false)) expect(c, 'a window of shifted traffic only').toMatchObject({ dataset_drift: true, verdict: 'alert' });
    }
    expect(tested.some((c) => c.dataset_drift === false)).toBe(true);
    expect(tested.some((c) => c.dataset_drift === true)).toBe(true);
    for (const c of seen) if (c.labeled) expect(c.accuracy).toBeGreaterThan(0.5);
    expect(seen.reduce((n, c) => n + c.unknown_feedback, 0)).toBe(3);

    // The trigger ran exactly once, for a drifted window, with its report.
    const fired = seen.filter((c) => c.triggered);
    expect(fired).toHaveLength(1);
    expect(fired[0].dataset_drift).toBe(true);
    const reports = fs
      .readFileSync(path.join(dir, 'retrain.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ dataset_drift: true, current: { file: 'serving:tab' }, monitor: { check: fired[0].check, triggered: true } });

    // The monitoring run: finished, one step per check, charted by compare.
    const run = /monitoring run ([0-9a-f]{32})/.exec(err)![1];
    expect(mlxJson(dir, ['runs', 'show', run])).toMatchObject({ run_name: 'monitor-tab', status: 'FINISHED' });
    const steps = (key: string) =>
      query<{ step: number; value: number }>(dir, 'SELECT step, value FROM metrics WHERE run_uuid = ? AND key = ? ORDER BY step', run, key);
    expect(steps('rows').map((m) => [m.step, m.value])).toEqual(seen.map((c) => [c.check, c.rows]));
    expect(steps('triggered').map((m) => m.value)).toEqual(seen.map((c) => (c.triggered ? 1 : 0)));
    expect(steps('dataset_drift').map((m) => m.step)).toEqual(tested.map((c) => c.check));
    expect(steps('drift.income.p_value')).toHaveLength(tested.length);
    expect(steps('accuracy/tab_1').length).toBeGreaterThan(0);
    const plot = path.join(dir, 'monitor.svg');
    expect(mlx(dir, ['compare', run, '--plot', plot]).code).toBe(0);
    expect(fs.readFileSync(plot, 'utf8')).toContain('drift_share');
  }, 120_000);
});
