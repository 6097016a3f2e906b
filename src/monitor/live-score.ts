import type { LabeledRow } from '../inference-log/inference-log.js';

/** How well one group of logged predictions matched the labels fed back for them. */
export interface Score {
  /** Predictions with a label. */
  labeled: number;
  /** Share of class predictions equal to their label (null: none were class names). */
  accuracy: number | null;
  /** Mean absolute error of numeric predictions (null: none were numbers). */
  mae: number | null;
}

export interface VariantScore extends Score {
  variant: string;
  shadow: boolean;
}

export interface LiveScores {
  /** Every answer clients got (shadows left out). */
  all: Score;
  variants: VariantScore[];
}

class Tally {
  labeled = 0;
  classified = 0;
  correct = 0;
  regressed = 0;
  absError = 0;

  add(prediction: unknown, label: string | number): void {
    this.labeled++;
    const p = Array.isArray(prediction) && prediction.length === 1 ? prediction[0] : prediction;
    if (typeof p === 'string') {
      this.classified++;
      if (String(label).trim() === p) this.correct++;
    } else if (typeof p === 'number') {
      const y = typeof label === 'number' ? label : label.trim() === '' ? NaN : Number(label);
      if (Number.isFinite(y)) {
        this.regressed++;
        this.absError += Math.abs(p - y);
      }
    }
  }

  score(): Score {
    return {
      labeled: this.labeled,
      accuracy: this.classified ? this.correct / this.classified : null,
      mae: this.regressed ? this.absError / this.regressed : null,
    };
  }
}

/**
 * Live accuracy and MAE from predictions joined to their labels: a class name predicted is
 * right when it equals the label; a number predicted (or a one-value output) is scored by its
 * absolute error. Other outputs (vectors) count as labeled but are not scored.
 */
export function scoreLabeled(rows: LabeledRow[]): LiveScores {
  const all = new Tally();
  const byVariant = new Map<string, { shadow: boolean; tally: Tally }>();
  for (const r of rows) {
    if (!r.shadow) all.add(r.prediction, r.label);
    let v = byVariant.get(r.variant);
    if (!v) byVariant.set(r.variant, (v = { shadow: r.shadow, tally: new Tally() }));
    v.tally.add(r.prediction, r.label);
  }
  const variants = [...byVariant].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([variant, v]) => ({ variant, shadow: v.shadow, ...v.tally.score() }));
  return { all: all.score(), variants };
}

/**
 * The groups below a bound, as "reasons": the served total and each served variant with at
 * least minLabels labels, by accuracy (below minAccuracy) and MAE (above maxMae).
 */
export function scoreAlerts(s: LiveScores, o: { minAccuracy?: number; maxMae?: number; minLabels: number }): { judged: boolean; reasons: string[] } {
  const served = s.variants.filter((v) => !v.shadow).map((v): [string, Score] => [`variant ${v.variant}`, v]);
  // With one served variant, its score is the total's: judge it once.
  const groups: [string, Score][] = served.length > 1 ? [['all traffic', s.all], ...served] : served;
  const reasons: string[] = [];
  let judged = false;
  for (const [name, g] of groups) {
    if (g.labeled < o.minLabels) continue;
    if (o.minAccuracy !== undefined && g.accuracy !== null) {
      judged = true;
      if (g.accuracy < o.minAccuracy) reasons.push(`accuracy of ${name} ${g.accuracy.toFixed(3)} < ${o.minAccuracy}`);
    }
    if (o.maxMae !== undefined && g.mae !== null) {
      judged = true;
      if (g.mae > o.maxMae) reasons.push(`MAE of ${name} ${g.mae.toPrecision(4)} > ${o.maxMae}`);
    }
  }
  return { judged, reasons };
}
