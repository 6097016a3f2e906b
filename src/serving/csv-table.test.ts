import { describe, expect, it } from 'vitest';
import { MlxError } from '../core/errors.js';
import { describeValue, parseCell, positionOf } from './cells.js';
import { parseCsvTable, pickColumns, type CsvTableOptions } from './csv-table.js';

const opts = (o: Partial<CsvTableOptions> = {}): CsvTableOptions => ({
  keep: null,
  strict: null,
  maxRows: 1000,
  tooManyRows: () => new MlxError('BAD_REQUEST', 'too many rows'),
  ...o,
});
const parse = (text: string, o: Partial<CsvTableOptions> = {}) => parseCsvTable(Buffer.from(text), opts(o));

describe('parseCell: the one rule for numbers in text', () => {
  it('takes decimal numbers (signs, exponents, surrounding spaces)', () => {
    for (const [text, v] of [
      ['3', 3],
      [' -2.5 ', -2.5],
      ['+.5', 0.5],
      ['1e3', 1000],
      ['7.', 7],
      ['1E-2', 0.01],
    ] as const)
      expect(parseCell(text)).toBe(v);
  });

  it('says why anything else is refused', () => {
    expect(parseCell('')).toBe('empty');
    expect(parseCell('   ')).toBe('empty');
    for (const t of ['abc', 'nan', 'NaN', 'Infinity', '0x10', '1_000', '1,5', 'true', '--1']) expect(parseCell(t), t).toBe('not a number');
    expect(parseCell('1e400')).toBe('out of range');
    expect(parseCell('-1e400')).toBe('out of range');
  });
});

describe('describeValue and positionOf', () => {
  it('describe values briefly and safely, whatever their size or depth', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(describeValue(deep)).toBe('a list of 1');
    expect(describeValue({ a: 1 })).toBe('an object');
    expect(describeValue('x'.repeat(1000))).toBe(`"${'x'.repeat(40)}…"`);
    expect(describeValue('\u001b[31m')).toBe('"\\u001b[31m"');
    expect(describeValue(null)).toBe('null');
    expect(describeValue(-Infinity)).toBe('-Infinity');
  });

  it('name rows and columns (by name when the names fit), else the index in the tensor', () => {
    expect(positionOf(7, [2, 5], ['a', 'b', 'c', 'd', 'e'])).toBe('row 1, column "c"');
    expect(positionOf(7, [2, 5], ['a', 'b'])).toBe('row 1, column 2');
    expect(positionOf(3, [4])).toBe('row 3');
    expect(positionOf(13, [1, 2, 3, 4])).toBe('at [0, 1, 0, 1]');
    expect(positionOf(99, [1, 2, 3, 4])).toBe('position 99');
  });
});

describe('parseCsvTable', () => {
  it('reads the header and the rows as numbers, with the line of each row', async () => {
    const t = await parse('\uFEFFa, b ,c\n1,2,3\n\n4, 5 ,6\n');
    expect(t.header).toEqual(['a', 'b', 'c']);
    expect(t.rows).toBe(2);
    expect(Array.from(t.values)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(t.lines)).toEqual([2, 4]);
    expect(Array.from(pickColumns(t, [2, 0]))).toEqual([3, 1, 6, 4]);
  });

  it('refuses what is not a table of numbers, naming the line and the column', async () => {
    const refused = async (text: string, ...mentions: (string | RegExp)[]) => {
      const err = await parse(text).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, text).toBeInstanceOf(MlxError);
      for (const m of mentions) expect((err as Error).message).toMatch(m);
    };
    await refused('', 'empty');
    await refused('\n\n', 'empty');
    await refused('a,b\n', 'at least one data row');
    await refused('a,b\n1,x\n', 'line 2, column "b": "x" is not a number');
    await refused('a,b\n1,2\n3,\n', 'line 3, column "b" is empty');
    await refused('a,b\n1,1e999\n', 'line 2, column "b": "1e999" is out of range');
    await refused('a,b,a\n1,2,3\n', /the column "a" is named more than once/);
    await refused('a,b\n1,2,3\n', 'line 2 has 3 fields, but the header has 2');
    await refused('a,b\n1\n', 'line 2 has 1 field, but the header has 2');
    await refused('a,b\n1,"2\n', 'line 2: a quoted field is not closed');
    await refused('a,b\n1,\u00002\n', 'not text', 'NUL byte at byte 6');
  });

  it('skips columns it is not asked to keep, unread, and remembers bad cells of lenient columns for whoever picks them', async () => {
    const t = await parse('id,a,b,c\nx1,1,oops,3\nx2,4,5,6\n', { keep: new Set(['a', 'b', 'c']), strict: new Set(['a', 'c']) });
    expect(t.width).toBe(3);
    expect(Array.from(pickColumns(t, [1, 3]))).toEqual([1, 3, 4, 6]);
    expect(() => pickColumns(t, [3, 2])).toThrow('line 2, column "b": "oops" is not a number');
    // A bad cell in a strict column refuses the body at once.
    await expect(parse('a,b\n1,2\n3,x\n', { strict: new Set(['b']) })).rejects.toThrow('line 3, column "b"');
  });

  it('refuses the first row over maxRows, before reading the rest', async () => {
    await expect(parse('a\n1\n2\n3\nnot a number\n', { maxRows: 2 })).rejects.toThrow('too many rows');
    expect((await parse('a\n1\n2\n', { maxRows: 2 })).rows).toBe(2);
  });

  it('lets other callbacks run while it reads a large body (it yields to the event loop between slices)', async () => {
    const body = `a,b,c\n${'1,2,3\n'.repeat(200_000)}`;
    let turns = 0;
    let reading = true;
    const spin = () => {
      if (!reading) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    const t = await parse(body, { maxRows: 1e6, sliceChars: 64 * 1024 });
    reading = false;
    expect(t.rows).toBe(200_000);
    // 1.2 M characters in slices of 64 K: one turn per slice at least.
    expect(turns).toBeGreaterThanOrEqual(Math.floor(body.length / (64 * 1024)) - 1);
  });
});
