import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHeader, checkWidth, CsvSyntaxError, csvRecords } from '../../core/csv-records.js';
import { invalid } from '../../core/errors.js';
import { mulberry32 } from '../../core/random.js';
import { badUtf8Line } from './byte-reader.js';
import { ByteCells, utcMs } from './cell-bytes.js';
import { printsAsWritten } from './cell-checks.js';
import { ColumnStats, KeyBudget } from './column-stats.js';
import { TableProfiler } from './profile.js';
import { RowView, type TableVisitor } from './row-view.js';
import type { DataSchema } from './schema.js';
import { readTable } from './table-reader.js';
import { Validator } from './validate.js';

// The byte reader (byte-reader.ts, cell-bytes.ts) against the text reader it replaced for data files:
// the file decoded by a fatal TextDecoder chunk by chunk and split by core/csv-records.ts (kept here as
// it was). Generated files of a few MB (so 1 MB chunks cut records, quoted newlines and UTF-8
// characters) must give the same rows, lines, errors, profiles and validation reports.

let dir: string;
const file = (name: string) => path.join(dir, name);

/** The text reader as table-reader.ts had it before the byte reader: the reference. */
async function* utf8Chunks(f: string): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let lines = 1;
  for await (const chunk of fs.createReadStream(f, { highWaterMark: 1 << 20 })) {
    const buf = chunk as Buffer;
    let text: string;
    try {
      text = decoder.decode(buf, { stream: true });
    } catch (err) {
      throw invalid(`${f} line ${badUtf8Line(buf, lines)} is not UTF-8 text; convert the file to UTF-8 (iconv -f LATIN1 -t UTF-8)`, err);
    }
    for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) lines++;
    yield text;
  }
  try {
    const rest = decoder.decode();
    if (rest) yield rest;
  } catch (err) {
    throw invalid(`${f} line ${lines} is not UTF-8 text: it ends inside a character; convert the file to UTF-8`, err);
  }
}

async function readText(f: string, visitor: TableVisitor): Promise<void> {
  const delimiter = f.endsWith('.tsv') ? '\t' : ',';
  let width = -1;
  let rows = 0;
  try {
    for await (const record of csvRecords(utf8Chunks(f), delimiter)) {
      if (width < 0) {
        const names = record.fields.map((h) => h.trim());
        checkHeader(names, f);
        width = names.length;
        visitor.columns(names);
        continue;
      }
      checkWidth(record, width, f);
      rows++;
      visitor.row(record.fields, record.line);
    }
  } catch (err) {
    if (err instanceof CsvSyntaxError) throw invalid(`${f} line ${err.line} is not valid CSV: ${err.reason}`, err);
    throw err;
  }
  if (width < 0) throw invalid(`${f} is empty: it needs a header row and at least one data row`);
  if (rows === 0) throw invalid(`${f} line 1 is a header with no data rows after it; give at least one row`);
}

/** Names, rows as strings with their lines, or the error's message. */
async function collect(f: string, bytes: boolean): Promise<unknown> {
  const out: unknown[] = [];
  const visitor: TableVisitor = {
    columns: (names) => void out.push(['columns', names]),
    row: (values, line) => void out.push([line, values]),
    ...(bytes ? { rowView: (v: RowView, line: number) => void out.push([line, v.strings()]) } : {}),
  };
  try {
    if (bytes) await readTable(f, visitor);
    else await readText(f, visitor);
  } catch (err) {
    out.push(['error', (err as Error).message]);
  }
  return out;
}

/** Cells that read differently in some way: NA spellings, numbers with signs, exponents, leading zeros, long digits, dates, booleans, text. */
const CELLS = [
  ...['', ' ', 'NA', 'N/A', 'nan', '-NaN', 'NULL', 'None', '<NA>', '#N/A', '1.#IND', 'null ', ' NA'],
  ...['0', '-0', '+0', '007', '-007', '+12', '-', '+', '.', '-.', '.5', '-.5', '5.', '+5.', '1.2.3', '1-2', '1e5', '1E-3', '-2.5e+10', '1e400', '1e'],
  ...['123456789012345', '1234567890123456', '12345678901234567', '9007199254740993', '-9007199254740993', '0.1', '0.30000000000000004'],
  ...['123456789012.345', '1234567890123.4567', '-0.000', '3.14159265358979', '00000000000001.5', '12 ', ' 12', '1_000', '0x1F', '١٢'],
  ...['True', 'true', 'TRUE', 'False', 'false', 'FALSE', 'yes', 'inf', '-Infinity', '+INF', 'infinity '],
  ...['2021-02-28', '2021-02-29', '2024-02-29', '2021-02-30', '2021-04-31', '0099-01-01', '1000-01-01', '2021-13-01', '2021-00-10', '2021-1-01'],
  ...['2021-01-01T10:00:00', '2021-01-01 10:00:00Z', '2021-01-01T10:00:00.123+02:00', '20210101'],
  ...['é', '日本語', 'naïve café', 'a"b', '😀', 'x y', 'city-1', 'city-2', 'red', 'green'],
];
const QUOTED = ['"quoted, comma"', '"multi\nline"', '"dq ""x"" y"', ' "sp"', '"a"b', '"\r\n"', '"é\n日"', '""', '"12"'];

function generate(rows: number, seed: number, o: { bom?: boolean; crlf?: boolean; blanks?: boolean; quotes?: boolean; tsv?: boolean } = {}): string {
  const rand = mulberry32(seed);
  const d = o.tsv ? '\t' : ',';
  const eol = () => (o.crlf && rand() < 0.5 ? '\r\n' : '\n');
  const width = 6;
  let text = `${o.bom ? '\uFEFF' : ''}${['id', 'a', ' b ', 'c', 'd', 'e'].join(d)}${eol()}`;
  for (let r = 0; r < rows; r++) {
    const row = [String(r)];
    for (let c = 1; c < width; c++) {
      const pool = c === 5 ? ['red', 'green', 'blue', 'NA', ''] : CELLS;
      let cell = pool[Math.floor(rand() * pool.length)];
      if (o.tsv) cell = cell.replace(/\t/g, ' ');
      if (o.quotes && rand() < 0.05) cell = QUOTED[Math.floor(rand() * QUOTED.length)];
      row.push(cell);
    }
    text += row.join(d) + eol();
    if (o.blanks && rand() < 0.02) text += rand() < 0.5 ? eol() : `  ${eol()}`;
  }
  return text;
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-byte-reader-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('byte reader rows', () => {
  const cases: [string, Parameters<typeof generate>[2], number][] = [
    ['plain.csv', {}, 200],
    ['crlf-bom-blanks.csv', { crlf: true, bom: true, blanks: true }, 300],
    ['quotes.csv', { quotes: true, crlf: true, blanks: true }, 300],
    ['tabs.tsv', { tsv: true, quotes: true }, 200],
    // Several 1 MB chunks: records, quoted newlines and characters cut by the chunks' ends.
    ['big.csv', { quotes: true, crlf: true, bom: true, blanks: true }, 40_000],
  ];
  for (const [name, o, rows] of cases)
    it(`reads ${name} as the text reader does (fields, lines, blank lines, BOM)`, async () => {
      fs.writeFileSync(file(name), generate(rows, rows, o));
      const want = await collect(file(name), false);
      expect((want as unknown[]).length).toBeGreaterThan(rows / 2);
      expect(await collect(file(name), true)).toEqual(want);
    });

  const bad: [string, string | Buffer][] = [
    ['ragged.csv', 'a,b\n1,2\n3\n'],
    ['ragged-quoted.csv', 'a,b\n1,2\n"x\ny",2,3\n'],
    ['unclosed.csv', 'a,b\n1,2\n"x,2\n3,4\n'],
    ['empty.csv', ''],
    ['blank-only.csv', '\n \n\r\n'],
    ['header-only.csv', 'a,b\r\n'],
    ['dup-header.csv', 'a, a\n1,2\n'],
    ['latin1.csv', Buffer.concat([Buffer.from('a,b\n1,2\n3,caf'), Buffer.from([0xe9]), Buffer.from('\n4,5\n')])],
    ['truncated.csv', Buffer.concat([Buffer.from('a,b\n1,2\n3,'), Buffer.from([0xe6, 0x97])])],
    ['bad-prefix.csv', Buffer.concat([Buffer.from('a,b\n1,'), Buffer.from([0xe0, 0x80]), Buffer.from('\n')])],
    ['no-newline.csv', 'a,b\n1,2\n3,"4"'],
    ['double-bom.csv', '\uFEFF\uFEFF"a",b\n\uFEFF1,2\n'],
  ];
  for (const [name, content] of bad)
    it(`says what the text reader says for ${name}`, async () => {
      fs.writeFileSync(file(name), content);
      expect(await collect(file(name), true)).toEqual(await collect(file(name), false));
    });

  it('refuses a record of more than 8 MB (an unclosed quote, or one endless line) at the same line, counted in characters', async () => {
    // 4,300,000 'é' are 8.6 MB of bytes but fewer than 8 Mi characters: read, as the text reader reads them.
    const wide = 'é'.repeat(4_300_000);
    for (const [name, content] of [
      ['open-quote.csv', `a,b\n1,2\n3,"${'x'.repeat(8_500_000)}\n4,5\n`],
      ['wide-open-quote.csv', `a,b\n1,2\n3,"${wide}\n4,5\n`],
      ['wide-line.csv', `a,b\n1,2\n3,${wide}\n`],
    ]) {
      fs.writeFileSync(file(name), content);
      const want = await collect(file(name), false);
      expect(await collect(file(name), true)).toEqual(want);
    }
    expect(JSON.stringify(await collect(file('open-quote.csv'), true))).toContain('line 3 is not valid CSV: a record runs on for more than 8 MB');
  });

  it('names the same line for bad UTF-8 past the first chunk, and for a character cut by a chunk boundary', async () => {
    const head = 'id,text\n';
    let body = '';
    for (let i = 0; body.length < (1 << 20) + 5000; i++) body += `${i},日本語テキスト ${i}\n`;
    for (const [name, tailBytes] of [
      ['late-bad.csv', Buffer.from([0x31, 0x2c, 0xff, 0x0a])],
      ['late-ok.csv', Buffer.from('1,ok\n')],
    ] as const) {
      fs.writeFileSync(file(name), Buffer.concat([Buffer.from(head + body), tailBytes]));
      const want = await collect(file(name), false);
      expect(await collect(file(name), true)).toEqual(want);
    }
    expect(JSON.stringify(await collect(file('late-bad.csv'), true))).toContain('is not UTF-8 text');
  });
});

describe('byte cells', () => {
  it('classify every cell as ColumnStats.addText does: kind and number (Number(text) for numbers), the same statistics', () => {
    const rand = mulberry32(5);
    const extra = Array.from({ length: 3000 }, () => {
      const digits = String(Math.floor(rand() * 1e6)).padStart(1 + Math.floor(rand() * 9), '0');
      const sign = ['', '-', '+'][Math.floor(rand() * 3)];
      const r = rand();
      return r < 0.3
        ? sign + digits
        : r < 0.6
          ? `${sign}${digits}.${String(Math.floor(rand() * 1e8))}`
          : r < 0.8
            ? `${sign}${digits}e${Math.floor(rand() * 40) - 20}`
            : `${sign}${'9'.repeat(12 + Math.floor(rand() * 10))}`;
    });
    const a = new ColumnStats('x', new KeyBudget());
    const b = new ColumnStats('x', new KeyBudget());
    const cells = new ByteCells();
    const view = new RowView();
    for (const text of [...CELLS, ...extra, ...CELLS, ...CELLS]) {
      const want = a.addText(text);
      // Encoded anew (not through setStrings, which remembers the strings): the bytes alone.
      const bytes = Buffer.from(`${text}`);
      view.offs[0] = 0;
      view.offs[1] = bytes.length;
      view.next(bytes, 1);
      const got = cells.add(b, view, 0);
      expect(got, text).toBe(want);
      if (want !== 0 && want !== 5) expect(Object.is(b.num, a.num), `${text}: ${b.num} vs ${a.num}`).toBe(true);
      if (want === 1) expect(view.printsAsWritten(0), text).toBe(printsAsWritten(text));
      if (want === 1 || want === 2) {
        const n = Number(text.trim());
        if (!Number.isNaN(n)) expect(Object.is(b.num, n), text).toBe(true);
      }
    }
    expect(JSON.stringify({ ...b, sketch: null })).toBe(JSON.stringify({ ...a, sketch: null }));
    expect(b.cats === null).toBe(a.cats === null);
    expect(b.quantiles([0.01, 0.5, 0.99])).toEqual(a.quantiles([0.01, 0.5, 0.99]));
  });

  it('classify a date column (read through remembered values) as ColumnStats.addText does, however many dates it has', () => {
    // Repeated dates (remembered and counted through their holders), then thousands of distinct ones
    // (slots taken, the memory switched off), odd cells among them, and finally text that makes it a string column.
    const rand = mulberry32(9);
    const day = (k: number) => new Date(Date.UTC(2000, 0, 1) + k * 86_400_000).toISOString().slice(0, 10);
    const odd = ['', 'NA', '2023-02-30', '2023-13-01', '2023-02-28 10:00', '2023-02-28T10:00:00Z', '20230228', '-1', '1e3', '2023-1-05'];
    const texts = [
      ...Array.from({ length: 5000 }, () => day(Math.floor(rand() * 300))),
      ...Array.from({ length: 6000 }, (_, k) => (k % 97 === 0 ? odd[k % odd.length] : day(Math.floor(rand() * 9000)))),
      ...Array.from({ length: 2000 }, () => day(Math.floor(rand() * 300))),
      'not a date',
      ...Array.from({ length: 500 }, () => day(Math.floor(rand() * 300))),
    ];
    const a = new ColumnStats('when', new KeyBudget());
    const b = new ColumnStats('when', new KeyBudget());
    const cells = new ByteCells();
    const view = new RowView();
    // (Maps and Sets print as {}: the counts by value compared as entries.)
    const counts = (s: ColumnStats) => [...(s.cats ?? [])].map(([k, c]) => [k, c.n]);
    texts.forEach((text, k) => {
      const want = a.addText(text);
      const bytes = Buffer.from(text);
      view.offs[0] = 0;
      view.offs[1] = bytes.length;
      view.next(bytes, 1);
      expect(cells.add(b, view, 0), text).toBe(want);
      if (want !== 0 && want !== 5) expect(Object.is(b.num, a.num), text).toBe(true);
      expect(view.text(0)).toBe(text);
      if (k === 4999) {
        expect(b.cats!.size).toBe(300);
        expect(counts(b)).toEqual(counts(a));
      }
    });
    expect(JSON.stringify({ ...b, sketch: null })).toBe(JSON.stringify({ ...a, sketch: null }));
    expect(b.cats).toBeNull();
    expect(b.quantiles([0.01, 0.5, 0.99])).toEqual(a.quantiles([0.01, 0.5, 0.99]));
  });

  it('give the same profile and validation report as the text reader on a generated file', async () => {
    fs.writeFileSync(file('report.csv'), generate(20_000, 11, { quotes: true, crlf: true, blanks: true }));
    const schema: DataSchema = {
      expectations: [
        { expect: 'type', column: 'a', type: 'float', severity: 'error' },
        { expect: 'max_null_share', column: 'b', max: 0.01, severity: 'error' },
        { expect: 'range', column: 'c', min: -10, max: 1000, severity: 'error' },
        { expect: 'categories', column: 'e', values: ['red', 'green'], severity: 'error' },
        { expect: 'unique', column: 'd', severity: 'warning' },
        { expect: 'unique', column: 'id', severity: 'error' },
        { expect: 'length', column: 'b', max: 3, severity: 'warning' },
        { expect: 'expression', expr: 'a > 0 or e == "blue"', severity: 'error' },
      ],
    } as DataSchema;
    const viaText = new Validator(schema, true);
    await readText(file('report.csv'), viaText);
    const viaBytes = new Validator(schema, true);
    await readTable(file('report.csv'), viaBytes);
    expect(JSON.stringify(viaBytes.finish('f', 's'), null, 1)).toBe(JSON.stringify(viaText.finish('f', 's'), null, 1));
    const p1 = new TableProfiler(true);
    await readText(file('report.csv'), p1);
    const p2 = new TableProfiler(true);
    await readTable(file('report.csv'), p2);
    expect(JSON.stringify(p2.profile('f', 'csv'))).toBe(JSON.stringify(p1.profile('f', 'csv')));
  });
});

describe('utcMs', () => {
  it('is Date.UTC for every day 1 to 28 of every month of the years 1000 to 9999', () => {
    let wrong = 0;
    for (let y = 1000; y <= 9999; y++) for (let m = 1; m <= 12; m++) for (let d = 1; d <= 28; d++) if (utcMs(y, m, d) !== Date.UTC(y, m - 1, d)) wrong++;
    expect(wrong).toBe(0);
  });
});
