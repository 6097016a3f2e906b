// `mlx server` flags: what it refuses (one `mlx:` line, exit 2 for usage errors, nothing
// listening) and what the refusals' escape hatches allow.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectError, mlx, tempProject } from './helpers/cli.js';
import { call, startTrackingServer, stopServers } from './helpers/mlx-server.js';

const T = 60_000;
const dir = tempProject('mlx-server-flags-');
const store = path.join(dir, '.mlx');

afterAll(async () => {
  await stopServers();
  fs.rmSync(dir, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.once('connect', () => (sock.destroy(), resolve(false)));
    sock.once('error', () => resolve(true));
  });
}

describe('a non-loopback host needs a token', () => {
  it('--host 0.0.0.0 without a token: one-line error, exit 2, nothing listening, no store created', async () => {
    const port = await freePort();
    const fresh = path.join(dir, 'never');
    const line = expectError(
      mlx(dir, ['server', '--host', '0.0.0.0', '--port', String(port), '--backend-store-uri', fresh]),
      2,
      '0.0.0.0',
      '--token',
      '--allow-unauthenticated',
    );
    expect(line).toMatch(/refusing/);
    expect(await refusesConnections(port)).toBe(true);
    expect(fs.existsSync(fresh)).toBe(false);
  });

  it(
    '--allow-unauthenticated lets it bind 0.0.0.0',
    async () => {
      const s = await startTrackingServer(dir, ['--host', '0.0.0.0', '--allow-unauthenticated', '--backend-store-uri', store]);
      expect(s.stderr()).toMatch(/listening on http:\/\/0\.0\.0\.0:\d+/);
      expect((await call(s.base, 'GET', '/api/2.0/mlflow/experiments/search')).status).toBe(200);
    },
    T,
  );

  it(
    'a token lets it bind 0.0.0.0, and then every API request needs it',
    async () => {
      const s = await startTrackingServer(dir, ['--host', '0.0.0.0', '--token', 'a-good-long-token', '--backend-store-uri', store]);
      expect((await call(s.base, 'GET', '/api/2.0/mlflow/experiments/search')).status).toBe(401);
      expect((await call(s.base, 'GET', '/api/2.0/mlflow/experiments/search', undefined, { authorization: 'Bearer a-good-long-token' })).status).toBe(200);
    },
    T,
  );
});

// Numeric flags go through cli/flags.ts numberFlag, which the whole CLI (serve, containerize)
// answers with exit 1; the server's own checks (host, token, origin) are usage errors, exit 2.
describe('bad numeric flags: one line, exit 2 (a usage error, as every mlx command)', () => {
  for (const port of ['abc', '70000', '-1', '80.5'])
    it(`--port ${port}`, () => {
      expectError(mlx(dir, ['server', '--port', port, '--backend-store-uri', store]), 2, '--port', port);
    });

  it('--max-body-mb and --max-upload-mb must be positive numbers', () => {
    expectError(mlx(dir, ['server', '--port', '0', '--max-body-mb', '0', '--backend-store-uri', store]), 2, '--max-body-mb');
    expectError(mlx(dir, ['server', '--port', '0', '--max-upload-mb', 'lots', '--backend-store-uri', store]), 2, '--max-upload-mb');
  });
});

describe('bad flags: one line, exit 2', () => {
  for (const origin of ['*', 'example.com', 'https://ml.example.com/path', 'ftp://x.org'])
    it(`--cors-origin ${origin}`, () => {
      expectError(mlx(dir, ['server', '--port', '0', '--cors-origin', origin, '--backend-store-uri', store]), 2, '--cors-origin');
    });

  it('a token shorter than 8 characters, by flag or MLX_SERVER_TOKEN', () => {
    expectError(mlx(dir, ['server', '--port', '0', '--token', 'short', '--backend-store-uri', store]), 2, '--token', '8 characters');
    expectError(mlx(dir, ['server', '--port', '0', '--backend-store-uri', store], { env: { MLX_SERVER_TOKEN: 'tiny' } }), 2, '8 characters');
  });

  it('a backend store that is itself a server', () => {
    expectError(mlx(dir, ['server', '--port', '0', '--backend-store-uri', 'http://127.0.0.1:5000']), 2, 'http://127.0.0.1:5000');
  });
});

describe('runtime refusals: one line, exit 1', () => {
  it('a port already in use', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      expectError(mlx(dir, ['server', '--port', String(port), '--backend-store-uri', store]), 1, String(port), 'in use');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
