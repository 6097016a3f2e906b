// Issue 22, items 1-4: `mlx predict` never turns a missing value into a prediction, and with
// --on-error skip|null leaves it out or writes an error row; one corrupt image does not lose the
// other 2,000; --keep-columns / --id-column carry input columns through to join predictions back.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  imageClassifierOnnx,
  seedDriftData,
  SEED_LABELS,
  syntheticImage,
  tabularClassifierOnnx,
  trainImageClassifier,
  trainTabularClassifier,
  VALUE_CLASSES,
} from '../src/models/onnx/sample-models.js';
import { expectError, mlx, tempProject } from './helpers/cli.js';

const T = 60_000;
let dir: string;
const write = (f: string, data: string | Buffer) => fs.writeFileSync(path.join(dir, f), data);
const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
const jsonLines = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const leftovers = (prefix: string) => fs.readdirSync(dir).filter((f) => f.startsWith(prefix));

// Line 3 has an empty cell, line 4 a word, line 6 one field too few.
const HOLES = [
  'id,customer,age,income,score,clicks,time',
  '7,ann,30,2.5,0.3,4,5',
  '8,bob,41,,0.2,4,5',
  '9,cy,22,2,x,4,5',
  '10,dee,50,1,0.1,3,2',
  '11,eve,1,2,3',
].join('\n');

beforeAll(async () => {
  dir = tempProject('mlx-predict-errors-');
  write('value.onnx', Buffer.from(tabularClassifierOnnx(trainTabularClassifier(seedDriftData(300, 1), { seed: 1, epochs: 10 }))));
  write('value.txt', VALUE_CLASSES.join('\n'));
  expect(mlx(dir, ['register', 'value.onnx', '--name', 'value', '--labels', 'value.txt']).code).toBe(0);
  write('pets.onnx', Buffer.from(imageClassifierOnnx(trainImageClassifier({ seed: 1 }))));
  write('pets.txt', SEED_LABELS.join('\n'));
  expect(mlx(dir, ['register', 'pets.onnx', '--name', 'pets', '--labels', 'pets.txt']).code).toBe(0);
  fs.mkdirSync(path.join(dir, 'images'));
  for (const [i, label] of SEED_LABELS.entries()) {
    const img = syntheticImage(label, 100 + i, 32, 32);
    await sharp(Buffer.from(img.rgb), { raw: { width: 32, height: 32, channels: 3 } })
      .png()
      .toFile(path.join(dir, 'images', `${i}-${label}.png`));
  }
  // A truncated PNG and a text file named .jpg, between the good ones.
  const png = fs.readFileSync(path.join(dir, 'images', `0-${SEED_LABELS[0]}.png`));
  write('images/1a-truncated.png', png.subarray(0, 60));
  write('images/1b-not-an-image.jpg', 'hello');
  write('holes.csv', HOLES);
}, T);

describe('item 1: a missing value never becomes a prediction', () => {
  it(
    'default: the job fails naming the line and column, exit 1, no output file',
    () => {
      const r = mlx(dir, ['predict', 'models:/value/1', '-i', 'holes.csv', '-o', 'strict.csv', '--keep-columns', 'id,customer']);
      expectError(r, 1, 'holes.csv line 3, column "income" is empty');
      expect(leftovers('strict')).toEqual([]);
    },
    T,
  );

  it(
    '--on-error skip: the good rows are predicted, the bad ones listed on stderr and counted',
    () => {
      const r = mlx(dir, ['predict', 'models:/value/1', '-i', 'holes.csv', '-o', 'skip.csv', '--on-error', 'skip', '--keep-columns', 'id,customer']);
      expect(r.code, r.stderr).toBe(0);
      const lines = read('skip.csv').trim().split('\n');
      expect(lines[0]).toBe('row,id,customer,label,confidence,class_id,p_low,p_medium,p_high');
      expect(lines.slice(1).map((l) => l.split(',').slice(0, 3).join(','))).toEqual(['1,7,ann', '4,10,dee']);
      for (const l of lines.slice(1)) expect(VALUE_CLASSES).toContain(l.split(',')[3]);
      const err = r.stderr.trim().split('\n');
      expect(err).toEqual([
        'mlx: skipped: holes.csv line 3, column "income" is empty; every value must be a number (missing values are not allowed)',
        'mlx: skipped: holes.csv line 4, column "score": "x" is not a number',
        'mlx: skipped: holes.csv line 6 has 5 fields, but the header has 7; every row needs one value per column',
        expect.stringMatching(/^mlx: predicted 2 rows in .*; 3 rows skipped → skip\.csv$/),
      ]);
    },
    T,
  );

  it(
    '--on-error null: an explicit error row in place of each bad one, keyed by --id-column (JSON lines and CSV)',
    () => {
      const r = mlx(dir, ['predict', 'models:/value/1', '-i', 'holes.csv', '--on-error', 'null', '--id-column', 'id', '--keep-columns', 'customer']);
      expect(r.code, r.stderr).toBe(0);
      const recs = jsonLines(r.stdout);
      expect(recs.map((x) => [x.id, x.customer, x.error === null ? 'ok' : 'error'])).toEqual([
        ['7', 'ann', 'ok'],
        ['8', 'bob', 'error'],
        ['9', 'cy', 'error'],
        ['10', 'dee', 'ok'],
        ['11', 'eve', 'error'],
      ]);
      expect(recs[1]).toEqual({ id: '8', customer: 'bob', error: expect.stringContaining('line 3, column "income" is empty') });
      expect(recs[0]).not.toHaveProperty('row');
      expect(r.stderr).toMatch(/predicted 2 rows in .*; 3 rows written as error rows\n$/);

      const c = mlx(dir, ['predict', 'models:/value/1', '-i', 'holes.csv', '-o', 'null.csv', '--on-error', 'null', '--id-column', 'id']);
      expect(c.code, c.stderr).toBe(0);
      const lines = read('null.csv').trim().split('\n');
      expect(lines[0]).toBe('id,label,confidence,class_id,p_low,p_medium,p_high,error');
      expect(lines[2]).toBe('8,,,,,,,"holes.csv line 3, column ""income"" is empty; every value must be a number (missing values are not allowed)"');
      expect(lines[1]).toMatch(/^7,(low|medium|high),[0-9.e-]+,\d,[^,]+,[^,]+,[^,]+,$/);
    },
    T,
  );

  it(
    'an error row before the first prediction still gets the full CSV header; a file where every row fails is an error',
    () => {
      write('late.csv', 'age,income,score,clicks,time\n,1,1,1,1\n1,2,3,4,5\n');
      const r = mlx(dir, ['predict', 'models:/value/1', '-i', 'late.csv', '-o', 'late-out.csv', '--on-error', 'null']);
      expect(r.code, r.stderr).toBe(0);
      expect(read('late-out.csv').trim().split('\n')).toEqual([
        'row,label,confidence,class_id,p_low,p_medium,p_high,error',
        expect.stringMatching(/^1,,,,,,,".*line 2, column ""age"" is empty/),
        expect.stringMatching(/^2,(low|medium|high),.*,$/),
      ]);
      write('allbad.csv', 'age,income,score,clicks,time\n,1,1,1,1\n1,2,,4,5\n');
      for (const mode of ['skip', 'null']) {
        const bad = mlx(dir, ['predict', 'models:/value/1', '-i', 'allbad.csv', '-o', 'allbad-out.csv', '--on-error', mode]);
        expectError(bad, 1, 'nothing could be predicted: all 2 failed; the first: allbad.csv line 2, column "age" is empty');
        expect(leftovers('allbad-out')).toEqual([]);
      }
    },
    T,
  );

  it(
    'JSON lines objects: null and missing keys are refused per row the same way',
    () => {
      write(
        'holes.jsonl',
        ['{"id":1,"age":1,"income":2,"score":3,"clicks":4,"time":5}', '{"id":2,"age":1,"income":null,"score":3,"clicks":4,"time":5}', '{"id":3,"age":1}'].join(
          '\n',
        ),
      );
      const r = mlx(dir, ['predict', 'models:/value/1', '-i', 'holes.jsonl', '--on-error', 'skip', '--id-column', 'id']);
      expect(r.code, r.stderr).toBe(0);
      expect(jsonLines(r.stdout).map((x) => x.id)).toEqual([1]);
      expect(r.stderr).toContain('holes.jsonl line 2, column "income" is null');
      expect(r.stderr).toContain('holes.jsonl line 3 has no "income"');
    },
    T,
  );
});

describe('item 2: a non-numeric cell with --output', () => {
  it(
    'one clean line, exit 1, no partial output file (was: ERR_STREAM_DESTROYED stack trace)',
    () => {
      // Enough good rows before the bad one that several batches were written to the temporary file.
      const good = Array.from({ length: 3000 }, (_, i) => `${i % 60},${i % 7},0.${i % 9},${i % 5},${i % 11}`);
      write('late-word.csv', ['age,income,score,clicks,time', ...good, '1,2,three,4,5', ...good].join('\n'));
      const r = mlx(dir, ['predict', 'models:/value/1', '-i', 'late-word.csv', '-o', 'word-out/preds.csv', '--batch-size', '64']);
      expectError(r, 1, 'late-word.csv line 3002, column "score": "three" is not a number');
      expect(r.stderr).not.toMatch(/ERR_STREAM|at .*\.js/);
      expect(fs.readdirSync(path.join(dir, 'word-out'))).toEqual([]);
    },
    T,
  );
});

describe('item 3: one corrupt image among many', () => {
  it(
    'default: stops naming the file, writes nothing',
    () => {
      const r = mlx(dir, ['predict', 'models:/pets/1', '-i', 'images', '-o', 'img-strict.csv', '--batch-size', '2']);
      expectError(r, 1, '1a-truncated.png');
      expect(leftovers('img-strict')).toEqual([]);
    },
    T,
  );

  it(
    '--on-error skip writes every other image and lists the failures; null writes error rows',
    () => {
      const r = mlx(dir, ['predict', 'models:/pets/1', '-i', 'images', '-o', 'img-skip.csv', '--batch-size', '2', '--on-error', 'skip']);
      expect(r.code, r.stderr).toBe(0);
      const rows = read('img-skip.csv').trim().split('\n').slice(1);
      expect(rows.map((l) => l.split(',').slice(0, 2).join(','))).toEqual(SEED_LABELS.map((l, i) => `${i}-${l}.png,${l}`));
      const err = r.stderr.trim().split('\n');
      expect(err).toHaveLength(3);
      expect(err[0]).toMatch(/^mlx: skipped: .*1a-truncated\.png/);
      expect(err[1]).toMatch(/^mlx: skipped: .*1b-not-an-image\.jpg/);
      expect(err[2]).toMatch(new RegExp(`^mlx: predicted ${SEED_LABELS.length} images in .*; 2 images skipped → img-skip\\.csv$`));

      const n = mlx(dir, ['predict', 'models:/pets/1', '-i', 'images', '--on-error', 'null']);
      expect(n.code, n.stderr).toBe(0);
      const recs = jsonLines(n.stdout);
      expect(recs).toHaveLength(SEED_LABELS.length + 2);
      expect(recs.filter((x) => x.error !== null).map((x) => x.file)).toEqual(['1a-truncated.png', '1b-not-an-image.jpg']);
    },
    T,
  );
});

describe('item 4: --keep-columns and --id-column', () => {
  it(
    'kept columns are not features: the model takes the rest, in the file order when it names none',
    () => {
      // value.onnx has feature names; a bare ONNX file with --preprocess tabular has none.
      const r = mlx(dir, ['predict', 'value.onnx', '--preprocess', 'tabular', '-i', 'holes.csv', '--keep-columns', 'id,customer', '--on-error', 'skip']);
      expect(r.code, r.stderr).toBe(0);
      expect(jsonLines(r.stdout).map((x) => [x.row, x.id, x.customer])).toEqual([
        [1, '7', 'ann'],
        [4, '10', 'dee'],
      ]);
    },
    T,
  );

  it(
    'bad uses: a column the file lacks, a name an output column has, images: one line each, nothing written',
    () => {
      expectError(
        mlx(dir, ['predict', 'models:/value/1', '-i', 'holes.csv', '-o', 'keep-out.csv', '--keep-columns', 'idd']),
        1,
        'holes.csv has no column "idd" to keep',
      );
      write('clash.csv', 'age,income,score,clicks,time,label\n1,2,3,4,5,x\n');
      expectError(
        mlx(dir, ['predict', 'models:/value/1', '-i', 'clash.csv', '-o', 'keep-out.csv', '--keep-columns', 'label']),
        1,
        'the kept input column "label" has the name of an output column',
      );
      expectError(mlx(dir, ['predict', 'models:/pets/1', '-i', 'images', '--id-column', 'id']), 2, '--id-column applies to rows');
      expectError(mlx(dir, ['predict', 'models:/value/1', '-i', 'holes.csv', '--on-error', 'ignore']), 2, "'ignore' is invalid", 'fail, skip, null');
      expect(leftovers('keep-out')).toEqual([]);
    },
    T,
  );
});
