import { describe, expect, it } from 'vitest';
import { MlxError, type ErrorCode } from '../core/errors.js';
import { ImageTooLarge } from '../serving/image-limits.js';
import { HttpError, httpFailure, TooLarge } from './http-errors.js';

const CODES: ErrorCode[] = [
  'INVALID_PARAMETER_VALUE',
  'RESOURCE_DOES_NOT_EXIST',
  'RESOURCE_ALREADY_EXISTS',
  'INVALID_STATE',
  'BAD_REQUEST',
  'USAGE',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
  'TEMPORARILY_UNAVAILABLE',
  'INTERNAL_ERROR',
];

describe('httpFailure: one table for mlx server and mlx serve', () => {
  it("MLflow's statuses, the same for both servers", () => {
    const expected: Record<ErrorCode, number> = {
      INVALID_PARAMETER_VALUE: 400,
      USAGE: 400,
      BAD_REQUEST: 400,
      INVALID_STATE: 400,
      RESOURCE_ALREADY_EXISTS: 400,
      RESOURCE_DOES_NOT_EXIST: 404,
      UNAUTHENTICATED: 401,
      PERMISSION_DENIED: 403,
      TEMPORARILY_UNAVAILABLE: 503,
      INTERNAL_ERROR: 500,
    };
    for (const code of CODES) {
      const tracking = httpFailure(new MlxError(code, 'm'), 'tracking');
      const scoring = httpFailure(new MlxError(code, 'm'), 'scoring');
      expect(tracking.status, code).toBe(expected[code]);
      expect(scoring.status, code).toBe(expected[code]);
      expect(tracking.unexpected || scoring.unexpected).toBe(false);
    }
  });

  it("bad input: INVALID_PARAMETER_VALUE for the tracking server, BAD_REQUEST as MLflow's scoring server says it", () => {
    expect(httpFailure(new MlxError('INVALID_PARAMETER_VALUE', 'm'), 'tracking').code).toBe('INVALID_PARAMETER_VALUE');
    expect(httpFailure(new MlxError('INVALID_PARAMETER_VALUE', 'm'), 'scoring').code).toBe('BAD_REQUEST');
  });

  it('USAGE, which MLflow clients do not know, never reaches a body', () => {
    expect(httpFailure(new MlxError('USAGE', 'm'), 'tracking')).toMatchObject({ status: 400, code: 'INVALID_PARAMETER_VALUE' });
    expect(httpFailure(new MlxError('USAGE', 'm'), 'scoring')).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
  });

  it('every other code is answered as itself by both', () => {
    for (const code of CODES.filter((c) => c !== 'USAGE' && c !== 'INVALID_PARAMETER_VALUE')) {
      expect(httpFailure(new MlxError(code, 'm'), 'tracking').code).toBe(code);
      expect(httpFailure(new MlxError(code, 'm'), 'scoring').code).toBe(code);
    }
  });

  it("413 for a request or an image over a limit, in each server's code", () => {
    expect(httpFailure(new TooLarge('big'), 'tracking')).toEqual({ status: 413, code: 'REQUEST_LIMIT_EXCEEDED', message: 'big', unexpected: false });
    expect(httpFailure(new TooLarge('big'), 'scoring')).toEqual({ status: 413, code: 'REQUEST_TOO_LARGE', message: 'big', unexpected: false });
    expect(httpFailure(new ImageTooLarge('huge'), 'scoring')).toMatchObject({ status: 413, code: 'REQUEST_TOO_LARGE' });
  });

  it("a route's own status (404, 409, 415) as it gave it", () => {
    expect(httpFailure(new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'text/plain'), 'scoring')).toEqual({
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: 'text/plain',
      unexpected: false,
    });
  });

  it('anything else is a 500 with its first line, marked unexpected', () => {
    expect(httpFailure(new TypeError('x is undefined\n  at somewhere'), 'tracking')).toEqual({
      status: 500,
      code: 'INTERNAL_ERROR',
      message: 'x is undefined',
      unexpected: true,
    });
    expect(httpFailure('a string', 'scoring')).toMatchObject({ status: 500, message: 'a string', unexpected: true });
  });
});
