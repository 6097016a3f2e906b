import { describe, expect, it } from 'vitest';
import { buildComparison, metricDirection, sortByMetric } from './compare.js';
import type { Run } from '../core/entities.js';

function run(id: string, params: Record<string, string>, metrics: Record<string, number>): Run {
  return {
    info: {
      run_id: id,
      run_name: `run-${id}`,
      experiment_id: '0',
      user_id: 'me',
      status: 'FINISHED',
      start_time: 1,
      end_time: 2,
      artifact_uri: `/tmp/${id}`,
      lifecycle_stage: 'active',
    },
    params,
    metrics,
    tags: {},
    inputs: [],
  };
}

describe('metricDirection', () => {
  it.each([
    ['train_loss', 'min'],
    ['val_loss', 'min'],
    ['logloss', 'min'],
    ['error_rate', 'min'],
    ['train_err', 'min'],
    ['val_rmse', 'min'],
    ['test.mae', 'min'],
    ['valMse', 'min'],
    ['mape', 'min'],
    ['perplexity', 'min'],
    ['p99_latency_ms', 'min'],
    ['epoch_duration', 'min'],
    ['inference_time', 'min'],
    ['wer', 'min'],
    ['cer', 'min'],
    ['val_accuracy', 'max'],
    ['f1', 'max'],
    ['auc', 'max'],
    ['precision', 'max'],
    ['answer_accuracy', 'max'],
    ['tower_score', 'max'],
  ] as const)('%s → %s', (key, dir) => {
    expect(metricDirection(key)).toBe(dir);
  });

  it('lets explicit options override the name heuristic', () => {
    expect(metricDirection('loss_reduction', { maximize: ['loss_reduction'] })).toBe('max');
    expect(metricDirection('score', { minimize: ['score'] })).toBe('min');
  });
});

describe('buildComparison', () => {
  const a = run('aaa', { lr: '0.01', epochs: '20', seed: '1' }, { train_loss: 0.2, val_accuracy: 0.9 });
  const b = run('bbb', { lr: '0.1', epochs: '20' }, { train_loss: 0.1, val_accuracy: 0.9, extra: 3 });

  it('lays params and metrics out by key, then run id, with null where absent', () => {
    const c = buildComparison([a, b]);
    expect(Object.keys(c.params)).toEqual(['epochs', 'lr', 'seed']);
    expect(Object.keys(c.metrics)).toEqual(['extra', 'train_loss', 'val_accuracy']);
    expect(c.params.seed).toEqual({ aaa: '1', bbb: null });
    expect(c.metrics.extra).toEqual({ aaa: null, bbb: 3 });
    expect(c.runs.map((r) => r.run_id)).toEqual(['aaa', 'bbb']);
    expect(c.runs[0].params).toEqual(a.params);
  });

  it('marks params that differ in value or presence', () => {
    expect(buildComparison([a, b]).differingParams).toEqual(['lr', 'seed']);
    expect(buildComparison([a, a]).differingParams).toEqual([]);
    expect(buildComparison([a]).differingParams).toEqual([]);
  });

  it('treats an empty-string param as different from an absent one', () => {
    const c = buildComparison([run('x', { tag: '' }, {}), run('y', {}, {})]);
    expect(c.differingParams).toEqual(['tag']);
  });

  it('marks the best run per metric, every tied run included', () => {
    const c = buildComparison([a, b]);
    expect(c.best.train_loss).toEqual({ direction: 'min', run_ids: ['bbb'] });
    expect(c.best.val_accuracy).toEqual({ direction: 'max', run_ids: ['aaa', 'bbb'] });
    expect(c.best.extra).toEqual({ direction: 'max', run_ids: ['bbb'] });
  });

  it('follows explicit directions', () => {
    const c = buildComparison([a, b], { maximize: ['train_loss'], minimize: ['extra'] });
    expect(c.best.train_loss).toEqual({ direction: 'max', run_ids: ['aaa'] });
    expect(c.best.extra.direction).toBe('min');
  });

  it('rejects a metric asked to be both minimized and maximized', () => {
    expect(() => buildComparison([a, b], { maximize: ['x'], minimize: ['x'] })).toThrow(/both minimized and maximized/);
  });

  it('never picks NaN or infinite values as best and reports them as JSON-safe strings', () => {
    const c = buildComparison([run('n', {}, { loss: NaN, acc: Infinity }), run('m', {}, { loss: 0.5, acc: 0.7 }), run('k', {}, { loss: -Infinity, acc: NaN })]);
    expect(c.metrics.loss).toEqual({ n: 'NaN', m: 0.5, k: '-Infinity' });
    expect(c.metrics.acc).toEqual({ n: 'Infinity', m: 0.7, k: 'NaN' });
    expect(c.best.loss.run_ids).toEqual(['m']);
    expect(c.best.acc.run_ids).toEqual(['m']);
    expect(JSON.parse(JSON.stringify(c))).toEqual(c);
  });

  it('leaves best empty when no run has a finite value', () => {
    const c = buildComparison([run('n', {}, { loss: NaN })]);
    expect(c.best.loss).toEqual({ direction: 'min', run_ids: [] });
  });

  it('keeps the first of runs given twice', () => {
    const c = buildComparison([a, b, a]);
    expect(c.runs.map((r) => r.run_id)).toEqual(['aaa', 'bbb']);
  });

  it('sorts keys by code unit, independent of locale', () => {
    const c = buildComparison([run('x', { b: '1', B: '1', a: '1', _z: '1' }, {})]);
    expect(Object.keys(c.params)).toEqual(['B', '_z', 'a', 'b']);
  });

  it('keeps a metric named __proto__ as an ordinary entry', () => {
    const metrics = JSON.parse('{"__proto__": 1}') as Record<string, number>;
    const c = buildComparison([run('x', {}, metrics)]);
    expect(Object.keys(c.metrics)).toEqual(['__proto__']);
    expect(JSON.stringify(c.metrics)).toBe('{"__proto__":{"x":1}}');
  });

  it('handles no runs', () => {
    expect(buildComparison([])).toEqual({ runs: [], params: {}, metrics: {}, differingParams: [], best: {} });
  });
});

describe('sortByMetric', () => {
  const m = (id: string, metrics: Record<string, number>) => run(id, {}, metrics);
  it('best first in the metric direction; missing and NaN last, in the given order', () => {
    const runs = [m('a', { loss: 0.3 }), m('b', {}), m('c', { loss: 0.1 }), m('d', { loss: NaN }), m('e', { loss: 0.2 })];
    expect(sortByMetric(runs, 'loss').map((r) => r.info.run_id)).toEqual(['c', 'e', 'a', 'b', 'd']);
    expect(sortByMetric(runs, 'loss', { maximize: ['loss'] }).map((r) => r.info.run_id)).toEqual(['a', 'e', 'c', 'b', 'd']);
  });
});
