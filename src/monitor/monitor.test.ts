import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedDriftData, tabularDataCsv, type TabularData } from '../models/onnx/tabular-model.js';
import { openDatabase } from '../store/sqlite/database.js';
import { SqliteInferenceLog as InferenceLogStore } from '../store/sqlite/inference-log/sqlite-inference-log.js';
import { checkJson, checkMetrics, type CheckResult, type MonitorConfig } from './check.js';
import { runMonitor, type MonitorDeps } from './monitor.js';
import type { Clock } from './schedule.js';
import { records } from '../../test/helpers/inference-log.js';

const T0 = Date.parse('2026-11-26T10:00:00Z');
const MIN = 60_000;
let reference: string;

beforeAll(() => {
  reference = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-monitor-')), 'train.csv');
  fs.writeFileSync(reference, tabularDataCsv(seedDriftData(400, 1)));
});

const config = (o: Partial<MonitorConfig> = {}): MonitorConfig => ({
  model: 'clf',
  reference,
  window: MIN,
  minRows: 30,
  minLabels: 10,
  drift: { test: 'auto', driftShare: 0.5, correction: 'none' },
  ...o,
});

/** Logs the data as one-row requests inside the window of check n (windows are [T0 + (n-2) min, T0 + (n-1) min)). */
function traffic(log: InferenceLogStore, n: number, data: TabularData, opts: { label?: (i: number) => string } = {}): void {
  const start = T0 + (n - 2) * MIN;
  log.write(records(data, { start, prefix: `w${n}` }), null);
  if (opts.label)
    log.feedback(
      data.rows.map((_, i) => ({ request_id: `w${n}-${i}`, label: opts.label!(i) })),
      { now: start + 1000 },
    );
}

function clock(): Clock {
  let t = T0;
  return { now: () => t, sleep: async (ms) => void (t += ms) };
}

async function monitor(log: InferenceLogStore, checks: number, cfg = config(), extra: Partial<MonitorDeps> = {}) {
  const results: CheckResult[] = [];
  const fired: number[] = [];
  const warnings: string[] = [];
  const summary = await runMonitor(
    cfg,
    { every: MIN, maxChecks: checks, settle: 0 },
    {
      log,
      clock: clock(),
      signal: new AbortController().signal,
      emit: (r) => results.push(r),
      trigger: async (r) => (fired.push(r.check), 0),
      warn: (l) => warnings.push(l),
      ...extra,
    },
  );
  return { results, fired, warnings, summary };
}

const calm = (seed: number) => seedDriftData(200, seed);
const shifted = (seed: number) => seedDriftData(200, seed, { shift: 1 });

describe('runMonitor', () => {
  it('drift in the shifted windows only; the trigger fires once per episode and again after a clean window', async () => {
    const log = new InferenceLogStore(openDatabase(':memory:', { create: true }));
    traffic(log, 2, calm(2));
    traffic(log, 3, shifted(3));
    traffic(log, 4, shifted(4));
    traffic(log, 5, calm(5));
    traffic(log, 6, shifted(6));
    traffic(log, 7, seedDriftData(10, 7));
    const { results, fired, summary } = await monitor(log, 7);
    expect(results.map((r) => [r.check, r.rows, r.verdict, r.triggered])).toEqual([
      [1, 0, 'no-data', false],
      [2, 200, 'clean', false],
      [3, 200, 'alert', true],
      [4, 200, 'alert', false],
      [5, 200, 'clean', false],
      [6, 200, 'alert', true],
      [7, 10, 'no-data', false],
    ]);
    expect(fired).toEqual([3, 6]);
    expect(summary).toEqual({ outcome: 'done', checks: 7, alerts: 3, triggers: 2 });
    expect(results[2].reasons).toEqual(['dataset drift: 5 of 5 columns (100%)']);
    expect(results[6].driftNote).toBe('10 logged rows, fewer than --min-rows 30: drift not tested');
    expect(results[1].window).toEqual({ since: T0, until: T0 + MIN });
  });

  it('live accuracy from the labels that arrived in the window; a drop below --min-accuracy alerts like drift', async () => {
    const log = new InferenceLogStore(openDatabase(':memory:', { create: true }));
    const d2 = calm(2);
    traffic(log, 2, d2, { label: (i) => d2.classNames[d2.labels[i]] });
    const d3 = calm(3);
    traffic(log, 3, d3, { label: (i) => (i % 2 ? 'wrong' : d3.classNames[d3.labels[i]]) });
    log.feedback([{ request_id: 'nobody', label: 'x' }], { now: T0 + MIN + 5 });
    const { results, fired } = await monitor(log, 3, config({ minAccuracy: 0.8 }));
    expect(results.map((r) => [r.verdict, r.scores.all.labeled, r.scores.all.accuracy, r.unknownFeedback])).toEqual([
      ['no-data', 0, null, 0],
      ['clean', 200, 1, 0],
      ['alert', 200, 0.5, 1],
    ]);
    expect(results[2].reasons).toEqual(['accuracy of variant primary 0.500 < 0.8']);
    expect(fired).toEqual([3]);
    const keys = checkMetrics(results[2], 7, 1).map((m) => m.key);
    expect(keys).toEqual(
      expect.arrayContaining([
        'rows',
        'alert',
        'triggered',
        'unknown_feedback',
        'accuracy',
        'accuracy/primary',
        'labeled/primary',
        'drift_share',
        'dataset_drift',
        'drift.age.p_value',
      ]),
    );
    expect(checkMetrics(results[2], 7, 1).every((m) => m.step === 7)).toBe(true);
    expect(checkJson(results[2])).toMatchObject({
      check: 3,
      verdict: 'alert',
      accuracy: 0.5,
      unknown_feedback: 1,
      window: { since: '2026-11-26T10:01:00.000Z' },
    });
  });

  it('a trigger still running is not started twice; the monitor waits for it before returning', async () => {
    const log = new InferenceLogStore(openDatabase(':memory:', { create: true }));
    traffic(log, 1, shifted(1));
    traffic(log, 2, calm(2));
    traffic(log, 3, shifted(3));
    let finish!: (code: number) => void;
    const started: number[] = [];
    const results: CheckResult[] = [];
    const { warnings } = await monitor(log, 3, config(), {
      trigger: (r) => (started.push(r.check), new Promise<number>((res) => (finish = res))),
      emit: (r) => {
        results.push(r);
        if (r.check === 3) setTimeout(() => finish(4), 5);
      },
    });
    expect(started).toEqual([1]);
    expect(results.map((r) => [r.verdict, r.triggered])).toEqual([
      ['alert', true],
      ['clean', false],
      ['alert', false],
    ]);
    expect(warnings).toEqual([
      expect.stringMatching(/^check 3: dataset drift: .*; the --on-drift command from an earlier check is still running, not starting another$/),
      'check 1: the --on-drift command exited with 4',
    ]);
  });
});
