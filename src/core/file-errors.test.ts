import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { causeChain, MlxError } from './errors.js';
import { fileError, isSystemError, readableStat, readTextFile, systemReason } from './file-errors.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-file-errors-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A real error of the file system, as Node gives it. */
function systemError(code: string, syscall = 'open'): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: some reason, ${syscall} 'x.csv'`), { code, syscall, path: 'x.csv', errno: -1 });
}

describe('fileError', () => {
  it('"does not exist" only for nothing there; the error is kept as the cause', () => {
    for (const code of ['ENOENT', 'ENOTDIR']) {
      const cause = systemError(code);
      const err = fileError(cause, 'input "x.csv"') as MlxError;
      expect(err).toBeInstanceOf(MlxError);
      expect(err.code).toBe('RESOURCE_DOES_NOT_EXIST');
      expect(err.message).toBe('input "x.csv" does not exist');
      expect(err.cause).toBe(cause);
    }
  });

  it('EACCES and EPERM: permission denied, not missing', () => {
    for (const code of ['EACCES', 'EPERM']) {
      const err = fileError(systemError(code), 'input "x.csv"') as MlxError;
      expect(err.code).toBe('INVALID_PARAMETER_VALUE');
      expect(err.message).toBe('input "x.csv" cannot be read: permission denied');
    }
  });

  it("any other code: the system's reason, without the call and path", () => {
    const err = fileError(
      Object.assign(new Error('EISDIR: illegal operation on a directory, read'), { code: 'EISDIR', syscall: 'read' }),
      'file "d"',
    ) as MlxError;
    expect(err.message).toBe('file "d" cannot be read (EISDIR: illegal operation on a directory)');
  });

  it('an MlxError, or an error the system did not give, is returned as it is', () => {
    const mine = new MlxError('INVALID_STATE', 'x');
    expect(fileError(mine, 'f')).toBe(mine);
    const coded = Object.assign(new TypeError('bad bytes'), { code: 'ERR_ENCODING_INVALID_ENCODED_DATA' });
    expect(isSystemError(coded)).toBe(false);
    expect(fileError(coded, 'f')).toBe(coded);
  });

  it('systemReason keeps the code and reason of any system error', () => {
    expect(systemReason(systemError('ELOOP'))).toBe('ELOOP: some reason');
    expect(systemReason(Object.assign(new Error('odd'), { code: 'EIO', syscall: 'read' }))).toBe('EIO: odd');
  });
});

describe('readableStat and readTextFile', () => {
  it('a file that is there: its stats and its text', () => {
    const file = path.join(dir, 'a.txt');
    fs.writeFileSync(file, 'hello');
    expect(readableStat(file, 'f').size).toBe(5);
    expect(readTextFile(file, 'f')).toBe('hello');
  });

  it('a missing file, and a path through a file, "do not exist"', () => {
    fs.writeFileSync(path.join(dir, 'plain'), '');
    for (const p of [path.join(dir, 'nope.csv'), path.join(dir, 'plain', 'below.csv')]) {
      expect(() => readableStat(p, 'data file')).toThrow('data file does not exist');
      expect(() => readTextFile(p, 'data file')).toThrow('data file does not exist');
    }
  });

  it("a folder read as a file: the system's reason", () => {
    expect(() => readTextFile(dir, 'labels file')).toThrow('labels file cannot be read (EISDIR: illegal operation on a directory)');
  });
});

describe('causeChain', () => {
  it('nearest first, each error once, however the chain loops', () => {
    const root = new Error('root');
    const mid = new Error('mid', { cause: root });
    const top = new MlxError('INTERNAL_ERROR', 'top', { cause: mid });
    expect(causeChain(top)).toEqual([mid, root]);
    (root as { cause?: unknown }).cause = top;
    expect(causeChain(top)).toEqual([mid, root]);
  });

  it('bounded in depth; a cause that is not an error still counts', () => {
    let e: unknown = 'the bottom';
    for (let i = 0; i < 20; i++) e = new Error(`level ${i}`, { cause: e });
    expect(causeChain(e)).toHaveLength(8);
    expect(causeChain(new Error('x', { cause: 'text' }))).toEqual(['text']);
    expect(causeChain(new Error('x'))).toEqual([]);
  });

  it('an MlxError without a cause has no cause key at all', () => {
    expect('cause' in new MlxError('USAGE', 'x')).toBe(false);
    expect('cause' in new MlxError('USAGE', 'x', { cause: undefined })).toBe(false);
  });
});
