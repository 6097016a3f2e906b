import { describe, expect, it } from 'vitest';
import type { LabeledRow } from '../inference-log/inference-log.js';
import { scoreAlerts, scoreLabeled } from './live-score.js';

const row = (variant: string, prediction: unknown, label: string | number, shadow = false): LabeledRow => ({ variant, shadow, prediction, label });

describe('scoreLabeled', () => {
  it('accuracy of class names per variant; the total leaves shadows out', () => {
    const s = scoreLabeled([
      row('a', 'cat', 'cat'),
      row('a', 'dog', 'cat'),
      row('b', 'cat', 'cat'),
      row('b', 'cat', ' cat '),
      row('s', 'dog', 'cat', true),
      row('s', 'dog', 'dog', true),
    ]);
    expect(s.all).toEqual({ labeled: 4, accuracy: 0.75, mae: null });
    expect(s.variants).toEqual([
      { variant: 'a', shadow: false, labeled: 2, accuracy: 0.5, mae: null },
      { variant: 'b', shadow: false, labeled: 2, accuracy: 1, mae: null },
      { variant: 's', shadow: true, labeled: 2, accuracy: 0.5, mae: null },
    ]);
  });

  it('MAE of numbers (one-value outputs too, labels given as text too); vectors are labeled but not scored', () => {
    const s = scoreLabeled([row('a', 2, 3), row('a', [1.5], '0.5'), row('a', [0.2, 0.8], 1), row('a', 4, 'n/a')]);
    expect(s.all).toEqual({ labeled: 4, accuracy: null, mae: 1 });
  });
});

describe('scoreAlerts', () => {
  const s = scoreLabeled([...Array(10)].map((_, i) => row('a', 'x', i < 6 ? 'x' : 'y')).concat([row('b', 'x', 'y'), row('sh', 'x', 'y', true)]));
  it('judges served groups with enough labels against the bounds; shadows never alert', () => {
    expect(scoreAlerts(s, { minAccuracy: 0.7, minLabels: 5 })).toEqual({
      judged: true,
      reasons: ['accuracy of all traffic 0.545 < 0.7', 'accuracy of variant a 0.600 < 0.7'],
    });
    expect(scoreAlerts(s, { minAccuracy: 0.5, minLabels: 1 }).reasons).toEqual(['accuracy of variant b 0.000 < 0.5']);
    expect(scoreAlerts(s, { minAccuracy: 0.5, minLabels: 50 })).toEqual({ judged: false, reasons: [] });
    expect(scoreAlerts(s, { minLabels: 1 })).toEqual({ judged: false, reasons: [] });
  });

  it('one served variant is judged once', () => {
    const one = scoreLabeled([row('a', 1, 3), row('a', 1, 1)]);
    expect(scoreAlerts(one, { maxMae: 0.5, minLabels: 1 }).reasons).toEqual(['MAE of variant a 1.000 > 0.5']);
  });
});
