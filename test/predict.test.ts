// `mlx predict` as users run it: real registered models, real files, real processes.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  imageClassifierOnnx,
  predictTabular,
  SEED_LABELS,
  seedDriftData,
  syntheticImage,
  tabularClassifierOnnx,
  tabularDataCsv,
  trainTabularClassifier,
  trainImageClassifier,
  VALUE_CLASSES,
  type TabularModel,
} from '../src/models/onnx/sample-models.js';
import { mlx, tempProject } from './helpers/cli.js';

const T = 60_000;
let dir: string;
let tabular: TabularModel;

beforeAll(async () => {
  dir = tempProject('mlx-predict-');
  tabular = trainTabularClassifier(seedDriftData(600, 1), { seed: 1, epochs: 30 });
  fs.writeFileSync(path.join(dir, 'value.onnx'), tabularClassifierOnnx(tabular));
  fs.writeFileSync(path.join(dir, 'value.txt'), VALUE_CLASSES.join('\n'));
  fs.writeFileSync(path.join(dir, 'pets.onnx'), imageClassifierOnnx(trainImageClassifier({ seed: 1 })));
  fs.writeFileSync(path.join(dir, 'pets.txt'), SEED_LABELS.join('\n'));
  expect(mlx(dir, ['register', 'value.onnx', '--name', 'value', '--labels', 'value.txt']).code).toBe(0);
  expect(mlx(dir, ['register', 'pets.onnx', '--name', 'pets', '--labels', 'pets.txt']).code).toBe(0);
  fs.mkdirSync(path.join(dir, 'images'));
  for (const [i, label] of SEED_LABELS.entries()) {
    const img = syntheticImage(label, 100 + i, 32, 32);
    await sharp(Buffer.from(img.rgb), { raw: { width: 32, height: 32, channels: 3 } })
      .png()
      .toFile(path.join(dir, 'images', `${i}-${label}.png`));
  }
  fs.writeFileSync(path.join(dir, 'images', 'notes.txt'), 'not an image, ignored');
}, T);

describe('mlx predict', () => {
  it(
    "CSV in, CSV out: one prediction per row, equal to the model, columns picked by the model's feature names",
    () => {
      const data = seedDriftData(1000, 7);
      // Columns shuffled and an extra one: the model's feature_names metadata decides the order.
      const shuffled = ['label', 'time', 'clicks', 'score', 'income', 'age'];
      const lines = tabularDataCsv(data, { label: true }).trim().split('\n');
      const header = lines[0].split(',');
      const csv = [
        shuffled.join(','),
        ...lines.slice(1).map((l) => {
          const v = l.split(',');
          return shuffled.map((c) => v[header.indexOf(c)]).join(',');
        }),
      ].join('\n');
      fs.writeFileSync(path.join(dir, 'in.csv'), csv);
      const r = mlx(dir, ['predict', 'models:/value/1', '--input', 'in.csv', '--output', 'out/preds.csv', '--batch-size', '64']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/predicted 1,000 rows in .* → out\/preds.csv/);
      const out = fs.readFileSync(path.join(dir, 'out/preds.csv'), 'utf8').trim().split('\n');
      expect(out[0]).toBe('row,label,confidence,class_id,p_low,p_medium,p_high');
      expect(out).toHaveLength(1001);
      const expected = predictTabular(tabular, data.rows);
      out.slice(1).forEach((line, i) => {
        const [row, label, confidence, classId, ...probs] = line.split(',');
        expect(Number(row)).toBe(i + 1);
        const best = expected[i].indexOf(Math.max(...expected[i]));
        expect(label).toBe(VALUE_CLASSES[best]);
        expect(Number(classId)).toBe(best);
        expect(Number(confidence)).toBeCloseTo(expected[i][best], 5);
        probs.forEach((p, k) => expect(Number(p)).toBeCloseTo(expected[i][k], 5));
      });
    },
    T,
  );

  it(
    'JSON lines in (objects and arrays), JSON lines on stdout',
    () => {
      const data = seedDriftData(5, 3);
      const objects = data.rows.map((r) => Object.fromEntries(data.featureNames.map((n, i) => [n, r[i]])));
      fs.writeFileSync(path.join(dir, 'in.jsonl'), `${objects.map((o) => JSON.stringify(o)).join('\n')}\n\n`);
      const r = mlx(dir, ['predict', 'models:/value@latest'.replace('@latest', '/latest'), '-i', 'in.jsonl']);
      expect(r.code, r.stderr).toBe(0);
      const preds = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(preds.map((p) => p.row)).toEqual([1, 2, 3, 4, 5]);
      expect(Object.keys(preds[0].probabilities)).toEqual(['low', 'medium', 'high']);
      fs.writeFileSync(path.join(dir, 'arrays.jsonl'), data.rows.map((r) => JSON.stringify(r)).join('\n'));
      const r2 = mlx(dir, ['predict', 'models:/value/1', '-i', 'arrays.jsonl', '-o', 'arrays-out.jsonl']);
      expect(r2.code, r2.stderr).toBe(0);
      expect(
        fs
          .readFileSync(path.join(dir, 'arrays-out.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).label),
      ).toEqual(preds.map((p) => p.label));
    },
    T,
  );

  it(
    'a folder of images: one line per image, the right labels',
    () => {
      const r = mlx(dir, ['predict', 'models:/pets/1', '--input', 'images', '--batch-size', '2']);
      expect(r.code, r.stderr).toBe(0);
      const preds = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(preds.map((p) => [p.file, p.label])).toEqual(SEED_LABELS.map((l, i) => [`${i}-${l}.png`, l]));
    },
    T,
  );

  it(
    'bad input: one-line errors, exit 1 (2 for a bad flag value), no output file left behind',
    () => {
      fs.writeFileSync(path.join(dir, 'bad.csv'), 'age,income,score,clicks,time\n1,2,3,4,5\n1,2,three,4,5\n');
      const cases: [string[], RegExp, number?][] = [
        [['predict', 'models:/value/1', '-i', 'bad.csv', '-o', 'bad-out.csv'], /bad\.csv line 3, column "score": "three" is not a number/],
        [['predict', 'models:/value/1', '-i', 'missing.csv'], /input "missing.csv" does not exist/],
        [['predict', 'models:/value/1', '-i', 'in.csv', '-o', 'x.txt'], /--output "x.txt": give a .csv or .jsonl file/, 2],
        [['predict', 'models:/value/1', '-i', 'in.csv', '--batch-size', '0'], /--batch-size "0" must be an integer from 1 to 65536/, 2],
        [['predict', 'models:/nope/1', '-i', 'in.csv'], /Registered Model with name=nope not found/],
        [['predict', 'models:/pets/1', '-i', 'in.csv'], /rows of numbers need a model with one 2-D input/],
      ];
      for (const [args, msg, code = 1] of cases) {
        const r = mlx(dir, args);
        expect(r.code, args.join(' ')).toBe(code);
        expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
        expect(r.stderr).toMatch(msg);
      }
      expect(fs.readdirSync(dir).filter((f) => f.startsWith('bad-out'))).toEqual([]);
    },
    T,
  );
});
