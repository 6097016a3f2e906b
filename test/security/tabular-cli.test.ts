// `mlx predict` and `mlx drift` on hostile or broken files (issue 17, items 8 and 12): one clean `mlx: ` line on
// stderr, exit 1, nothing written, never "internal error", and never a terminal control character from the
// user's data (ESC, CR, C1) echoed raw, whether in an error message or in a table.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedDriftData, tabularClassifierOnnx, trainTabularClassifier } from '../../src/models/onnx/sample-models.js';
import { expectError, mlx, tempProject, type CliResult } from '../helpers/cli.js';

const T = 60_000;
let dir: string;
const HEADER = 'age,income,score,clicks,time';

/** Terminal controls: C0 but newline (ESC, CR, BEL, …), DEL and C1 (U+0080–U+009F, e.g. CSI U+009B). */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

function write(file: string, data: string | Uint8Array): void {
  fs.writeFileSync(path.join(dir, file), data);
}

/** A refusal: one clean line naming what was wrong, exit 1, no control character, no internal error, no output file. */
function refusedCli(args: string[], ...mentions: (string | RegExp)[]): string {
  const r: CliResult = mlx(dir, args);
  const line = expectError(r, 1, ...mentions);
  expect(line).not.toMatch(/internal error|undefined|MLX_DEBUG/);
  expect(r.stderr, `raw control characters in ${JSON.stringify(r.stderr)}`).not.toMatch(CONTROL);
  expect(
    fs.readdirSync(dir).filter((f) => f.startsWith('out')),
    'no output file left behind',
  ).toEqual([]);
  return line;
}

const predict = (input: string, ...extra: string[]) => ['predict', 'value.onnx', '-i', input, '-o', 'out.csv', ...extra];

beforeAll(() => {
  dir = tempProject('mlx-sec-cli-');
  write('value.onnx', tabularClassifierOnnx(trainTabularClassifier(seedDriftData(300, 1))));
}, T);

describe('item 12: mlx predict on files that are not a table of numbers', () => {
  it(
    'a binary file: "not text", one clean line (was: internal error: Invalid Opening Quote, with the raw bytes)',
    () => {
      const bytes = Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 7919 + 13) % 256));
      write('binary.csv', bytes);
      refusedCli(predict('binary.csv'), 'binary.csv', 'not text');
      // Binary without NUL bytes: quotes, ESC, CSI and invalid UTF-8 in a "header" and "cells".
      write(
        'noise.csv',
        Buffer.concat([Buffer.from('a"\u001b[2J,b\u009b\n'), Buffer.from(Array.from({ length: 3000 }, (_, i) => 1 + ((i * 7919 + 13) % 255)))]),
      );
      refusedCli(predict('noise.csv'), 'noise.csv');
    },
    T,
  );

  it(
    'an empty file, a blank one and a header without rows are refused (was: exit 0, "predicted 0 rows")',
    () => {
      write('empty.csv', '');
      refusedCli(predict('empty.csv'), 'empty.csv', 'is empty');
      write('blank.csv', '\n \n\n');
      refusedCli(predict('blank.csv'), 'blank.csv', 'is empty');
      write('header.csv', `${HEADER}\n`);
      refusedCli(predict('header.csv'), 'header.csv', 'no data rows');
      write('empty.jsonl', '\n\n');
      refusedCli(predict('empty.jsonl'), 'empty.jsonl', 'no rows');
    },
    T,
  );

  it(
    'short and long rows: refused naming the line (was: "undefined is not a number", and long rows were taken)',
    () => {
      write('short.csv', `${HEADER}\n1,2,3,4,5\n1,2,3\n`);
      refusedCli(predict('short.csv'), 'short.csv', 'line 3 has 3 fields, but the header has 5');
      write('long.csv', `${HEADER}\n1,2,3,4,5,6\n`);
      refusedCli(predict('long.csv'), 'long.csv', 'line 2 has 6 fields, but the header has 5');
    },
    T,
  );

  it(
    'empty, NaN, infinite and non-numeric cells: refused naming the line and the column (was: null predictions, exit 0)',
    () => {
      write('hole.csv', `${HEADER}\n1,2,,4,5\n`);
      refusedCli(predict('hole.csv'), 'hole.csv', 'line 2, column "score" is empty');
      write('nan.csv', `${HEADER}\n1,2,3,4,5\n1,2,3,NaN,5\n`);
      refusedCli(predict('nan.csv'), 'line 3, column "clicks": "NaN" is not a number');
      write('inf.csv', `${HEADER}\n1,1e400,3,4,5\n`);
      refusedCli(predict('inf.csv'), 'line 2, column "income": "1e400" is out of range');
      write('dup.csv', 'age,income,score,clicks,time,age\n1,2,3,4,5,6\n');
      refusedCli(predict('dup.csv'), 'dup.csv', 'the column "age" is named more than once');
    },
    T,
  );

  it(
    'JSON lines: null, huge, deeply nested and text values are refused the same way',
    () => {
      write('null.jsonl', '{"age":1,"income":2,"score":null,"clicks":4,"time":5}\n');
      refusedCli(predict('null.jsonl'), 'null.jsonl', 'line 1, column "score" is null');
      write('huge.jsonl', '[1, 2, 1e400, 4, 5]\n');
      refusedCli(predict('huge.jsonl'), 'huge.jsonl', 'line 1, column 2', 'out of range');
      write('deep.jsonl', `[1, 2, ${'['.repeat(100_000)}3${']'.repeat(100_000)}, 4, 5]\n`);
      refusedCli(predict('deep.jsonl'), 'deep.jsonl', 'line 1', 'more than 100 deep');
      write('text.jsonl', '{"age":1,"income":"lots","score":3,"clicks":4,"time":5}\n');
      refusedCli(predict('text.jsonl'), 'line 1, column "income": "lots" is not a number');
    },
    T,
  );

  it(
    'control characters in values and names are shown escaped in the error line',
    () => {
      write('esc.csv', `${HEADER}\n1,2,\u001b]0;owned\u0007,4,5\n`);
      const line = refusedCli(predict('esc.csv'), 'line 2, column "score"');
      expect(line).toContain('\\u001b]0;owned\\u0007');
      // C1 controls (CSI is U+009B) are not escaped by JSON.stringify: the printer escapes them.
      write('c1.csv', `${HEADER}\n1,2,3,4,5\n`);
      const c1 = refusedCli(predict('c1.csv', '--columns', 'age,inc\u009b2Jome,score,clicks,time'), 'c1.csv');
      expect(c1).toContain('inc\\x9b2Jome');
    },
    T,
  );

  it(
    'a good file still predicts',
    () => {
      write('good.csv', `${HEADER}\n40,52000,60,8,4\n`);
      const r = mlx(dir, ['predict', 'value.onnx', '-i', 'good.csv']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim().split('\n')).toHaveLength(1);
    },
    T,
  );
});

describe('item 12: mlx drift', () => {
  const rows = (n: number, shift = 0) => Array.from({ length: n }, (_, i) => `${i + shift},${(i * 7) % 13}`);

  it(
    'ragged rows are refused naming the file and the line (was: accepted)',
    () => {
      write('ref.csv', `a,b\n${rows(50).join('\n')}\n`);
      write(
        'ragged.csv',
        `a,b\n${rows(50)
          .map((r, i) => (i === 4 ? `${r},9` : i === 9 ? '7' : r))
          .join('\n')}\n`,
      );
      refusedCli(['drift', '-r', 'ref.csv', '-c', 'ragged.csv'], 'ragged.csv', 'line 6 has 3 fields, but the header has 2');
      write(
        'short.csv',
        `a,b\n${rows(50)
          .map((r, i) => (i === 9 ? '7' : r))
          .join('\n')}\n`,
      );
      refusedCli(['drift', '-r', 'short.csv', '-c', 'ref.csv'], 'short.csv', 'line 11 has 1 field, but the header has 2');
      write('dup.csv', `a,a\n${rows(50).join('\n')}\n`);
      refusedCli(['drift', '-r', 'dup.csv', '-c', 'ref.csv'], 'dup.csv', 'the column "a" is named more than once');
    },
    T,
  );

  it(
    'terminal escape sequences in headers are shown escaped in the table and in errors (was: echoed raw)',
    () => {
      const evil = 'red\u001b[31m\u001b]0;owned\u0007\r\u009b2J';
      write('evil-ref.csv', `a,${evil}\n${rows(50).join('\n')}\n`);
      write('evil-cur.csv', `a,${evil}\n${rows(50, 40).join('\n')}\n`);
      const r = mlx(dir, ['drift', '-r', 'evil-ref.csv', '-c', 'evil-cur.csv']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout, JSON.stringify(r.stdout)).not.toMatch(CONTROL);
      expect(r.stdout).toContain('red\\x1b[31m\\x1b]0;owned\\x07\\r\\x9b2J');
      // --json stays JSON: the name as it is, escaped the JSON way.
      const json = mlx(dir, ['drift', '-r', 'evil-ref.csv', '-c', 'evil-cur.csv', '--json']);
      expect(JSON.parse(json.stdout).columns.map((c: { column: string }) => c.column)).toContain(evil);
      write(
        'plain.csv',
        `a\n${rows(50)
          .map((l) => l.split(',')[0])
          .join('\n')}\n`,
      );
      refusedCli(['drift', '-r', 'evil-ref.csv', '-c', 'plain.csv'], 'is not in plain.csv');
    },
    T,
  );
});
