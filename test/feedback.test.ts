// `mlx feedback FILE|-` (issue 8): labels that arrive later, joined in bulk to the predictions
// `mlx serve --log-inputs` logged; unknown request ids counted and listed, never dropped silently;
// bad input refused in one line with nothing written.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectError, mlx, tempProject } from './helpers/cli.js';
import { logTraffic, query, records, seedDriftData, storeCounts } from './helpers/inference-log.js';

const T = 60_000;

async function project(): Promise<string> {
  const dir = tempProject('mlx-feedback-');
  await logTraffic(dir, records(seedDriftData(30, 2), { start: Date.now() - 60_000, prefix: 'req' }));
  return dir;
}

let dir: string;
beforeAll(async () => {
  dir = await project();
});

describe('mlx feedback', () => {
  it(
    'joins a CSV of labels by request id, counts and lists unknown ids (up to 10; --json all)',
    async () => {
      const d = await project();
      const unknown = Array.from({ length: 12 }, (_, i) => `ghost-${i}`);
      const lines = ['request_id,label', 'req-0,high', 'req-1,"low"', ...unknown.map((id) => `${id},low`), 'req-2,3.5'];
      fs.writeFileSync(path.join(d, 'labels.csv'), `${lines.join('\n')}\n`);
      const r = mlx(d, ['feedback', 'labels.csv']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.split('\n')[0]).toBe('3 of 15 feedback items joined to logged predictions');
      expect(r.stdout).toContain(
        `12 unknown request ids (not logged, or deleted by retention): ${unknown.slice(0, 10).join(', ')}, and 2 more (--json lists them all)`,
      );
      const json = JSON.parse(mlx(d, ['feedback', 'labels.csv', '--json']).stdout);
      expect(json).toEqual({ items: 15, matched: 3, unknown_count: 12, unknown });
      expect(query(d, 'SELECT request_id, label, matched FROM inference_feedback WHERE matched = 1 ORDER BY request_id')).toEqual([
        { request_id: 'req-0', label: 'high', matched: 1 },
        { request_id: 'req-1', label: 'low', matched: 1 },
        { request_id: 'req-2', label: '3.5', matched: 1 },
      ]);
    },
    T,
  );

  it(
    'reads JSON lines from stdin; numbers stay numbers; the last label of an id wins',
    async () => {
      const d = await project();
      const input = ['{"request_id":"req-3","label":1}', '', '{"request_id":"req-4","label":"medium"}', '{"request_id":"req-3","label":2}'].join('\n');
      const r = mlx(d, ['feedback', '-', '--json'], { input });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ items: 3, matched: 3, unknown_count: 0, unknown: [] });
      expect(query(d, "SELECT label FROM inference_feedback WHERE request_id = 'req-3'")).toEqual([{ label: 2 }]);
    },
    T,
  );

  it(
    'without a store every id is unknown, and no store is created',
    () => {
      const d = tempProject('mlx-feedback-none-');
      fs.writeFileSync(path.join(d, 'l.jsonl'), '{"request_id":"a","label":"x"}\n');
      const r = mlx(d, ['feedback', 'l.jsonl', '--json']);
      expect(JSON.parse(r.stdout)).toMatchObject({ matched: 0, unknown: ['a'] });
      expect(fs.existsSync(path.join(d, '.mlx'))).toBe(false);
    },
    T,
  );
});

describe('mlx feedback: bad input', () => {
  const cases: [string, string, (string | RegExp)[]][] = [
    ['an empty file', '', ['empty.x is empty']],
    ['only a header', 'request_id,label\n', ['has no feedback rows']],
    ['a header without request_id', 'id,label\nreq-0,high\n', ['request_id and label', '"id"']],
    ['a row without a label', 'request_id,label\nreq-0,high\nreq-1,\n', ['row 3', '"req-1"', 'no label']],
    ['a line that is not JSON', '{"request_id":"req-0","label":"x"}\n{"request_id":\n', ['line 2 is not valid JSON']],
    ['a JSON line without request_id', '{"request_id":"req-0","label":"x"}\n{"label":"x"}\n', ['line 2 has no request_id']],
    ['a label that is a list', '{"request_id":"req-0","label":["x"]}\n', ['label must be a string or a number, not a list']],
    ['an unclosed quote', 'request_id,label\n"req-0,high\n', ['not valid CSV']],
  ];
  it.each(cases)(
    '%s: one line naming the problem, exit 1, nothing written',
    (_what, text, mentions) => {
      fs.writeFileSync(path.join(dir, 'empty.x'), text);
      const before = storeCounts(dir);
      expectError(mlx(dir, ['feedback', 'empty.x']), 1, ...mentions);
      expect(storeCounts(dir)).toEqual(before);
    },
    T,
  );

  it(
    'a missing file, or a tracking server for a store',
    () => {
      expectError(mlx(dir, ['feedback', 'nope.csv']), 1, '"nope.csv" does not exist');
      fs.writeFileSync(path.join(dir, 'ok.csv'), 'request_id,label\nreq-0,x\n');
      expectError(mlx(dir, ['--tracking-uri', 'http://127.0.0.1:9', 'feedback', 'ok.csv']), 1, 'inference logging needs a local store');
      expectError(mlx(dir, ['feedback']), 2, /missing required argument/);
    },
    T,
  );
});
