import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CsvScanner, MAX_RECORD_CHARS, checkHeader, checkWidth, csvRecords, type CsvRecord } from './csv-records.js';
import { MlxError } from './errors.js';

const all = (text: string): CsvRecord[] => {
  const s = new CsvScanner();
  s.push(text);
  const out: CsvRecord[] = [];
  for (let r = s.next(true); r; r = s.next(true)) out.push(r);
  return out;
};

describe('CsvScanner', () => {
  it('splits records and fields, with the line each record starts on, skipping blank lines', () => {
    expect(all('a,b\n1,2\r\n\n  \n3,4')).toEqual([
      { fields: ['a', 'b'], line: 1 },
      { fields: ['1', '2'], line: 2 },
      { fields: ['3', '4'], line: 5 },
    ]);
  });

  it('reads quoted fields: delimiters, doubled quotes and newlines inside; lines after them still count', () => {
    expect(all('"a,b","say ""hi""","two\nlines"\nnext,row,here\n')).toEqual([
      { fields: ['a,b', 'say "hi"', 'two\nlines'], line: 1 },
      { fields: ['next', 'row', 'here'], line: 3 },
    ]);
  });

  it("keeps a quote inside an unquoted field as text (as Python's csv does), and strips a BOM", () => {
    expect(all('\uFEFFx,5"7\n')).toEqual([{ fields: ['x', '5"7'], line: 1 }]);
  });

  it('refuses an unclosed quote, naming the line the record starts on', () => {
    expect(() => all('a,b\n1,"2\n3,4\n')).toThrow(/line 2: a quoted field is not closed/);
  });

  it('waits for the rest of a record that is cut between chunks', () => {
    const s = new CsvScanner();
    s.push('a,"b\n');
    expect(s.next(false)).toBeNull();
    s.push('c",d\n1,2');
    expect(s.next(false)).toEqual({ fields: ['a', 'b\nc', 'd'], line: 1 });
    expect(s.next(false)).toBeNull();
    expect(s.next(true)).toEqual({ fields: ['1', '2'], line: 3 });
  });
});

describe('csvRecords (streaming)', () => {
  it('gives the same records whatever the chunk boundaries', async () => {
    const text = 'h1,h2\n"x\ny",1\n\n3,"4"""\n5,6';
    const whole = all(text);
    for (const size of [1, 2, 3, 7]) {
      const chunks = text.match(new RegExp(`[\\s\\S]{1,${size}}`, 'g'))!;
      const got: CsvRecord[] = [];
      for await (const r of csvRecords(Readable.from(chunks))) got.push(r);
      expect(got, `chunks of ${size}`).toEqual(whole);
    }
  });

  it('stops at a record that runs on past the cap (an unclosed quote in a large file), naming its line', async () => {
    const chunks = ['a\n', '"', ...Array.from({ length: 10 }, () => 'x'.repeat(MAX_RECORD_CHARS / 8))];
    await expect(async () => {
      for await (const _ of csvRecords(Readable.from(chunks))) void _;
    }).rejects.toThrow(/line 2: a record runs on for more than 8 MB/);
  });
});

describe('header and width checks', () => {
  it('refuses a name given twice, and a record of the wrong width, with one-line messages', () => {
    expect(() => checkHeader(['a', 'b', 'a'], 'data.csv')).toThrow(/data\.csv: the column "a" is named more than once/);
    expect(() => checkHeader(['a', 'b'], 'x')).not.toThrow();
    const err = (() => {
      try {
        checkWidth({ fields: ['1'], line: 7 }, 3, 'data.csv');
      } catch (e) {
        return e as MlxError;
      }
    })();
    expect(err).toBeInstanceOf(MlxError);
    expect(err!.message).toBe('data.csv line 7 has 1 field, but the header has 3; every row needs one value per column');
  });
});
