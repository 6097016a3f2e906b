import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { seedDriftData, tabularDataCsv } from '../models/onnx/tabular-model.js';
import { openDatabase } from '../store/sqlite/database.js';
import { SqliteInferenceLog as InferenceLogStore } from '../store/sqlite/inference-log/sqlite-inference-log.js';
import { analyzeDrift } from './analyze.js';
import { inferenceRecord } from '../../test/helpers/inference-log.js';
import { loadLiveTable, liveSource, servingModel } from './live-data.js';

const log = () => new InferenceLogStore(openDatabase(':memory:', { create: true }));
const rec = inferenceRecord;
const opts = (referenceColumns: string[], o: { wanted?: string[]; prediction?: string } = {}) => ({
  declared: new Map(),
  wanted: o.wanted ?? null,
  referenceColumns,
  referenceFile: 'ref.csv',
  predictionColumn: o.prediction ?? 'prediction',
});
const W = { model: 'clf', since: 0, until: 1000 };

describe('servingModel', () => {
  it('reads serving:NAME; refuses an empty or odd name', () => {
    expect(servingModel('serving:clf')).toBe('clf');
    expect(servingModel('data.csv')).toBeNull();
    expect(() => servingModel('serving:')).toThrow(/serving:clf/);
    expect(() => servingModel('serving:models:/clf')).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });
});

describe('loadLiveTable', () => {
  it('columns by name across requests that named them differently, missing counted, the prediction as a column', () => {
    const l = log();
    l.write(
      [
        rec('a', {
          columns: ['x', 'y'],
          rows: [
            [1, 2],
            [3, 4],
          ],
          predictions: ['p', 'q'],
        }),
        rec('b', { columns: ['y', 'x'], rows: [[6, 5]], predictions: ['p'] }),
        rec('c', { columns: ['x'], rows: [[7]], predictions: [[0.5]] }),
      ],
      null,
    );
    const t = loadLiveTable(l, W, opts(['x', 'y', 'prediction', 'label']));
    expect(t.file).toBe('serving:clf');
    expect(t.rows).toBe(4);
    expect(t.window).toEqual({ since: 0, until: 1000 });
    expect(Array.from(t.columns.get('x')!.numbers)).toEqual([1, 3, 5, 7]);
    expect(Array.from(t.columns.get('y')!.numbers)).toEqual([2, 4, 6]);
    expect(t.columns.get('y')!.missing).toBe(1);
    // A class name makes the column categorical; a one-value output is a number.
    expect(t.columns.get('prediction')).toMatchObject({ kind: 'categorical', strings: ['p', 'q', 'p', '0.5'] });
    expect(t.columns.has('label')).toBe(false);
  });

  it('leaves the prediction out when the reference has no such column, or names it as --prediction-column says', () => {
    const l = log();
    l.write([rec('a', { columns: ['x'], rows: [[1]], predictions: [3] })], null);
    expect([...loadLiveTable(l, W, opts(['x'])).columns.keys()]).toEqual(['x']);
    expect([...loadLiveTable(l, W, opts(['x', 'label'], { prediction: 'label' })).columns.keys()]).toEqual(['x', 'label']);
  });

  it('a logged column the reference lacks is named, with what to do', () => {
    const l = log();
    l.write([rec('a', { columns: ['input_0'], rows: [[1]], predictions: ['p'] })], null);
    expect(() => loadLiveTable(l, W, opts(['age']))).toThrow(/serving:clf logged column "input_0", which ref\.csv does not have; .*--columns/);
    expect([...loadLiveTable(l, W, opts(['age'], { wanted: ['input_0'] })).columns.keys()]).toEqual(['input_0']);
  });

  it('an empty window is an error that says which window and what was logged', () => {
    const l = log();
    l.write([rec('a', { columns: ['x'], rows: [[1]], predictions: ['p'], variant: 'cand', shadow: true })], null);
    expect(() => loadLiveTable(l, W, opts(['x']))).toThrow(
      /^no logged rows for model "clf" from the oldest logged row to 1970-01-01T00:00:01Z; logged variants in that window: cand \(shadow\) \(1 rows\)$/,
    );
    expect(loadLiveTable(l, { ...W, variant: 'cand' }, opts(['x'])).rows).toBe(1);
    expect(() => loadLiveTable(l, { ...W, model: 'other', since: 10 }, opts(['x']))).toThrow(
      /no logged rows for model "other" from 1970-01-01T00:00:00\.010Z .*mlx serve --log-inputs/,
    );
  });
});

describe('analyzeDrift with logged traffic', () => {
  it('compares the logged columns with the reference (its label column skipped) and tests the prediction as such', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-live-'));
    const ref = path.join(dir, 'train.csv');
    const train = seedDriftData(400, 1);
    fs.writeFileSync(ref, tabularDataCsv(train).replace(/^(.*),label/, '$1,prediction'));
    const l = log();
    const calm = seedDriftData(300, 2);
    const shifted = seedDriftData(300, 3, { shift: 1 });
    const records = (d: typeof calm, t: number) =>
      d.rows.map((row, i) => rec(`${t}-${i}`, { timestamp: t, columns: d.featureNames, rows: [row], predictions: [d.classNames[d.labels[i]]] }));
    l.write([...records(calm, 100), ...records(shifted, 200)], null);
    const opts = { test: 'auto' as const, driftShare: 0.5, correction: 'none' as const };
    const before = await analyzeDrift(ref, liveSource(l, { model: 'clf', since: 0, until: 150 }, ref), opts);
    expect(before).toMatchObject({
      dataset_drift: false,
      current: { file: 'serving:clf', rows: 300 },
      prediction: { column: 'prediction', role: 'prediction' },
    });
    expect(before.columns.map((c) => c.column)).toEqual(train.featureNames);
    const after = await analyzeDrift(ref, liveSource(l, { model: 'clf', since: 150, until: 250 }, ref), opts);
    expect(after.dataset_drift).toBe(true);
    expect(after.drift_share).toBe(1);
  });
});
