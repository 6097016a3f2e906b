import { invalid, MlxError, notFound } from '../core/errors.js';
import type { InferenceLog, LogWindow } from '../inference-log/inference-log.js';
import type { CurrentSource } from './analyze.js';
import { ColumnBuilder, type ColumnKind, type Table } from './dataset.js';

export const SERVING_SCHEME = 'serving:';

/** The model name of a `serving:MODEL` current, or null for a file. */
export function servingModel(current: string): string | null {
  if (!current.startsWith(SERVING_SCHEME)) return null;
  const model = current.slice(SERVING_SCHEME.length).trim();
  if (!/^[\w.-]+$/.test(model))
    throw new MlxError('USAGE', `--current ${JSON.stringify(current)}: give the served model's name after serving:, e.g. serving:clf`);
  return model;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, 'Z');

/** The window as people read it in messages. */
export function describeWindow(w: LogWindow): string {
  const from = w.since > 0 ? iso(w.since) : 'the oldest logged row';
  return (
    `${w.variant !== undefined ? `variant ${JSON.stringify(w.variant)} of ` : ''}model ${JSON.stringify(w.model)}` +
    `${w.version !== undefined ? ` version ${w.version}` : ''} from ${from} to ${iso(w.until)}`
  );
}

/** A numeric prediction as a value; a vector (not one number) counts as missing. */
function predictionValue(p: unknown): unknown {
  if (Array.isArray(p)) return p.length === 1 ? p[0] : null;
  return p;
}

/**
 * Reads a window of logged traffic as a drift table: the logged input columns (as the requests
 * named them) and the model's prediction as the column `predictionColumn`. Without `wanted`, every
 * logged column must be in the reference, and the prediction is taken when the reference has it.
 */
export function loadLiveTable(
  log: InferenceLog,
  w: LogWindow,
  o: { declared: Map<string, ColumnKind>; wanted: string[] | null; referenceColumns: string[]; referenceFile: string; predictionColumn: string },
): Table {
  const label = `${SERVING_SCHEME}${w.model}`;
  const keep = (name: string) => (o.wanted ? o.wanted.includes(name) : o.referenceColumns.includes(name));
  const builders = new Map<string, ColumnBuilder>();
  const builder = (name: string, rowsSoFar: number) => {
    let b = builders.get(name);
    if (!b) {
      builders.set(name, (b = new ColumnBuilder(name, o.declared.get(name))));
      b.missing = rowsSoFar;
    }
    return b;
  };
  const withPrediction = keep(o.predictionColumn);
  const checked = new Set<string[]>();
  let rows = 0;
  for (const r of log.rows(w)) {
    rows++;
    const seen = new Set<string>();
    if (r.columns && r.input !== null) {
      if (!checked.has(r.columns)) {
        const stray = o.wanted ? undefined : r.columns.find((c) => !o.referenceColumns.includes(c));
        if (stray !== undefined)
          throw invalid(
            `${label} logged column "${stray}", which ${o.referenceFile} does not have; send requests with the reference's column names ` +
              '(dataframe_split or dataframe_records columns), or choose columns with --columns',
          );
        checked.add(r.columns);
      }
      const values = JSON.parse(r.input) as unknown[];
      r.columns.forEach((name, i) => {
        if (!keep(name) || name === o.predictionColumn) return;
        builder(name, rows - 1).add(values[i], rows, label);
        seen.add(name);
      });
    }
    if (withPrediction) {
      builder(o.predictionColumn, rows - 1).add(predictionValue(JSON.parse(r.prediction)), rows, label);
      seen.add(o.predictionColumn);
    }
    // A column this row did not have is a missing value for it.
    for (const b of builders.values()) if (!seen.has(b.name)) b.missing++;
  }
  if (rows === 0) {
    const seen = log.variants(w.model, w.since, w.until);
    const hint = seen.length
      ? `; logged variants in that window: ${seen.map((v) => `${v.variant}${v.shadow ? ' (shadow)' : ''} (${v.rows} rows)`).join(', ')}`
      : '; is the model served with `mlx serve --log-inputs`, and is the window right (--since, --until)?';
    throw notFound(`no logged rows for ${describeWindow(w)}${hint}`);
  }
  return { file: label, rows, columns: new Map([...builders].map(([k, b]) => [k, b.build()])), window: { since: w.since, until: w.until } };
}

/** Logged traffic as the current side of `analyzeDrift`. */
export function liveSource(log: InferenceLog, w: LogWindow, referenceFile: string, predictionColumn = 'prediction'): CurrentSource {
  return {
    predictionColumn,
    load: async (declared, wanted, referenceColumns) => loadLiveTable(log, w, { declared, wanted, referenceColumns, referenceFile, predictionColumn }),
  };
}
