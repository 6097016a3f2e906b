import { describe, expect, it } from 'vitest';
import type { Run, RunStatus } from '../core/entities.js';
import { isDone, latestAttempts, summarize } from './children.js';

let clock = 0;
function run(trial: number, status: RunStatus, acc: number | null, extra: Record<string, string> = {}): Run {
  const id = `${trial}-${++clock}`;
  return {
    info: {
      run_id: id,
      run_name: `s-${trial}`,
      experiment_id: '0',
      user_id: 'u',
      status,
      start_time: clock,
      end_time: clock + 1,
      artifact_uri: '',
      lifecycle_stage: 'active',
    },
    params: { lr: String(trial), extra: 'x' },
    metrics: acc === null ? {} : { acc },
    tags: { 'mlx.sweep.trial': String(trial), 'mlx.exit_code': status === 'FAILED' ? '2' : '0', ...extra },
    inputs: [],
  };
}

describe('summarize', () => {
  it('sorts by the metric (best first, runs without a value last) and marks the best finished run', () => {
    const runs = [
      run(1, 'FINISHED', 0.5),
      run(2, 'FAILED', 0.99),
      run(3, 'FINISHED', 0.7),
      run(4, 'FINISHED', null),
      run(5, 'FINISHED', NaN),
      run(6, 'KILLED', 0.2, { 'mlx.early_stopped': 'true' }),
      run(7, 'FINISHED', Infinity),
    ];
    const s = summarize(runs, ['lr'], 'acc', 'max', 9);
    expect(s.rows.map((r) => r.trial)).toEqual([2, 3, 1, 6, 4, 5, 7]);
    expect(s.best).toMatchObject({ trial: 3, value: 0.7, params: { lr: '3' }, best: true });
    expect(s.rows.filter((r) => r.best)).toHaveLength(1);
    expect(s.rows.find((r) => r.trial === 2)).toMatchObject({ status: 'FAILED', exit_code: 2 });
    expect(s.counts).toEqual({ finished: 5, failed: 1, killed: 0, early_stopped: 1, running: 0, not_started: 2 });
  });

  it('minimizes with goal min, and keeps trial order without a metric', () => {
    const runs = [run(1, 'FINISHED', 0.5), run(2, 'FINISHED', 0.1), run(3, 'FINISHED', 0.3)];
    expect(summarize(runs, ['lr'], 'acc', 'min').rows.map((r) => r.trial)).toEqual([2, 3, 1]);
    const none = summarize(runs, ['lr'], null, null);
    expect(none.rows.map((r) => r.trial)).toEqual([1, 2, 3]);
    expect(none.best).toBeNull();
  });
});

describe('attempts', () => {
  it('the latest attempt of a trial counts; interrupted ones are not done, early-stopped ones are', () => {
    const killed = run(1, 'KILLED', null);
    const retried = run(1, 'FINISHED', 0.4);
    expect(latestAttempts([killed, retried, run(2, 'FAILED', null)]).get(1)).toBe(retried);
    expect(isDone(killed)).toBe(false);
    expect(isDone(run(3, 'KILLED', null, { 'mlx.early_stopped': 'true' }))).toBe(true);
    expect(isDone(run(4, 'FAILED', null))).toBe(true);
    expect(isDone(run(4, 'FAILED', null), true)).toBe(false);
    expect(isDone(run(5, 'RUNNING', null))).toBe(false);
  });
});
