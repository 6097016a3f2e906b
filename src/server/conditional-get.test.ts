import { describe, expect, it } from 'vitest';
import { answerGet, fileEtag, rangeHeaders, validatorHeaders } from './conditional-get.js';

const modified = new Date('2026-03-01T10:20:30.456Z');
const v = { etag: '"abc"', modified };

describe('answerGet', () => {
  it('sends the whole file without conditions or Range', () => {
    expect(answerGet({}, 100, v)).toEqual({ status: 200 });
  });

  it('If-None-Match: 304 for the current tag (weakly compared), in a list, or *; 200 for another', () => {
    expect(answerGet({ ifNoneMatch: '"abc"' }, 100, v)).toEqual({ status: 304 });
    expect(answerGet({ ifNoneMatch: 'W/"abc"' }, 100, v)).toEqual({ status: 304 });
    expect(answerGet({ ifNoneMatch: '"x", "abc"' }, 100, v)).toEqual({ status: 304 });
    expect(answerGet({ ifNoneMatch: '*' }, 100, v)).toEqual({ status: 304 });
    expect(answerGet({ ifNoneMatch: '"abd"' }, 100, v)).toEqual({ status: 200 });
    // It takes precedence over If-Modified-Since.
    expect(answerGet({ ifNoneMatch: '"old"', ifModifiedSince: new Date('2030-01-01').toUTCString() }, 100, v)).toEqual({ status: 200 });
  });

  it('If-Modified-Since: 304 unless modified after it (in whole seconds); an unreadable date is ignored', () => {
    expect(answerGet({ ifModifiedSince: modified.toUTCString() }, 100, v)).toEqual({ status: 304 });
    expect(answerGet({ ifModifiedSince: 'Sun, 01 Mar 2026 10:20:29 GMT' }, 100, v)).toEqual({ status: 200 });
    expect(answerGet({ ifModifiedSince: 'yesterday' }, 100, v)).toEqual({ status: 200 });
    expect(answerGet({ ifModifiedSince: modified.toUTCString() }, 100, { etag: '"abc"' })).toEqual({ status: 200 });
  });

  it('Range: A-B, A-, -N, clipped to the end', () => {
    expect(answerGet({ range: 'bytes=0-9' }, 100, v)).toEqual({ status: 206, start: 0, end: 9 });
    expect(answerGet({ range: 'bytes=90-' }, 100, v)).toEqual({ status: 206, start: 90, end: 99 });
    expect(answerGet({ range: 'bytes=-10' }, 100, v)).toEqual({ status: 206, start: 90, end: 99 });
    expect(answerGet({ range: 'bytes=-1000' }, 100, v)).toEqual({ status: 206, start: 0, end: 99 });
    expect(answerGet({ range: 'bytes=50-1000' }, 100, v)).toEqual({ status: 206, start: 50, end: 99 });
    expect(answerGet({ range: 'BYTES = 5 - 5' }, 100, v)).toEqual({ status: 206, start: 5, end: 5 });
  });

  it('Range past the end, or of nothing: 416', () => {
    expect(answerGet({ range: 'bytes=100-' }, 100, v)).toEqual({ status: 416 });
    expect(answerGet({ range: 'bytes=100-200' }, 100, v)).toEqual({ status: 416 });
    expect(answerGet({ range: 'bytes=-0' }, 100, v)).toEqual({ status: 416 });
    expect(answerGet({ range: 'bytes=0-' }, 0, v)).toEqual({ status: 416 });
  });

  it('a Range it does not serve is ignored: other units, several ranges, bad syntax, B < A', () => {
    for (const range of ['items=0-9', 'bytes=0-9,20-29', 'bytes=a-b', 'bytes=-', 'bytes=9-0', 'bytes=1.5-2'])
      expect(answerGet({ range }, 100, v), range).toEqual({ status: 200 });
  });

  it('If-Range: the range for the same tag (strongly) or date, the whole file otherwise', () => {
    expect(answerGet({ range: 'bytes=10-', ifRange: '"abc"' }, 100, v)).toEqual({ status: 206, start: 10, end: 99 });
    expect(answerGet({ range: 'bytes=10-', ifRange: 'W/"abc"' }, 100, v)).toEqual({ status: 200 });
    expect(answerGet({ range: 'bytes=10-', ifRange: '"old"' }, 100, v)).toEqual({ status: 200 });
    expect(answerGet({ range: 'bytes=10-', ifRange: modified.toUTCString() }, 100, v)).toEqual({ status: 206, start: 10, end: 99 });
    expect(answerGet({ range: 'bytes=10-', ifRange: 'Sun, 01 Mar 2026 10:20:29 GMT' }, 100, v)).toEqual({ status: 200 });
    expect(answerGet({ range: 'bytes=10-', ifRange: modified.toUTCString() }, 100, { etag: '"abc"' })).toEqual({ status: 200 });
  });
});

describe('headers', () => {
  it('validators and Accept-Ranges; Content-Range of 206 and 416', () => {
    expect(validatorHeaders(v)).toEqual({ ETag: '"abc"', 'Last-Modified': 'Sun, 01 Mar 2026 10:20:30 GMT', 'Accept-Ranges': 'bytes' });
    expect(validatorHeaders({ etag: '"s"' })).toEqual({ ETag: '"s"', 'Accept-Ranges': 'bytes' });
    expect(rangeHeaders({ status: 206, start: 10, end: 19 }, 100)).toEqual({ 'Content-Range': 'bytes 10-19/100', 'Content-Length': '10' });
    expect(rangeHeaders({ status: 416 }, 100)).toEqual({ 'Content-Range': 'bytes */100' });
    expect(rangeHeaders({ status: 200 }, 100)).toEqual({});
  });

  it('a file tag changes with the inode, the size and the modification time (to the microsecond)', () => {
    const base = { ino: 7, size: 100, mtimeMs: 1_700_000_000_123.456 };
    const tags = [base, { ...base, ino: 8 }, { ...base, size: 101 }, { ...base, mtimeMs: base.mtimeMs + 0.001 }].map(fileEtag);
    expect(new Set(tags).size).toBe(4);
    expect(tags[0]).toMatch(/^"[0-9a-z-]+"$/);
  });
});
