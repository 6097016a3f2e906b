// The token and bind decision of `mlx server` and `mlx serve`, before anything opens.
import { afterEach, describe, expect, it } from 'vitest';
import { serverAccess } from './server-access.js';

const ENV = 'MLX_TEST_ACCESS_TOKEN';
const decide = (f: Parameters<typeof serverAccess>[0]) => serverAccess(f, ENV, 'do anything');
afterEach(() => {
  delete process.env[ENV];
});

describe('serverAccess', () => {
  it('loopback without a token: no token, loopback Host names only', () => {
    expect(decide({ host: '127.0.0.1' })).toEqual({ token: undefined, allowedHosts: ['localhost', '127.0.0.1', '[::1]', '::1'] });
    process.env[ENV] = '';
    expect(decide({ host: 'localhost' }).token).toBeUndefined();
  });

  it('the flag, else the environment; then any Host name', () => {
    process.env[ENV] = 'from-the-env-1';
    expect(decide({ host: '127.0.0.1' })).toEqual({ token: 'from-the-env-1', allowedHosts: undefined });
    expect(decide({ host: '0.0.0.0', token: 'from-the-flag' }).token).toBe('from-the-flag');
  });

  it('a short token is refused, naming where it came from', () => {
    expect(() => decide({ host: '127.0.0.1', token: 'short' })).toThrow(/^--token must be at least 8 characters/);
    process.env[ENV] = 'short';
    expect(() => decide({ host: '127.0.0.1' })).toThrow(new RegExp(`^${ENV} must be at least 8 characters`));
  });

  it('another interface needs a token or --allow-unauthenticated (a usage error)', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.20'])
      expect(() => decide({ host })).toThrow(
        `refusing to serve ${host} without a token: anyone who can reach it could do anything; pass --token (or ${ENV}), or --allow-unauthenticated`,
      );
    expect(decide({ host: '0.0.0.0', allowUnauthenticated: true })).toEqual({ token: undefined, allowedHosts: undefined });
    let code: string | undefined;
    try {
      decide({ host: '0.0.0.0' });
    } catch (err) {
      code = (err as { code: string }).code;
    }
    expect(code).toBe('USAGE');
  });
});
