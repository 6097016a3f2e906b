// The shared download routine against a real HTTP server on 127.0.0.1 that cuts its answer midway,
// honours or ignores ranges, and sends wrong bytes: resumed, restarted, or refused, never a
// half-written file at the destination.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlxError } from '../core/errors.js';
import { downloadFile, type DownloadSource } from './resumable-download.js';

const bytes = randomBytes(3 * 1024 * 1024 + 17);
const sha = createHash('sha256').update(bytes).digest('hex');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-download-'));
let base = '';
let server: http.Server;
/** How the next answers behave: cut after this many bytes (once per request count), honour Range or not. */
const behaviour = { cutFirst: 0, ranges: true, requests: [] as (string | undefined)[] };

beforeAll(async () => {
  server = http.createServer((req, res) => {
    behaviour.requests.push(req.headers.range);
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m && behaviour.ranges ? Number(m[1]) : 0;
    const body = bytes.subarray(start);
    res.writeHead(start > 0 ? 206 : 200, {
      'content-length': String(body.length),
      ...(start > 0 ? { 'content-range': `bytes ${start}-${bytes.length - 1}/${bytes.length}` } : {}),
    });
    if (behaviour.cutFirst > 0) {
      // Half the answer, then the connection drops (as a proxy timing out would).
      const cut = behaviour.cutFirst;
      behaviour.cutFirst = 0;
      res.write(body.subarray(0, cut), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  fs.rmSync(tmp, { recursive: true, force: true });
});

function source(expected: { size?: number; sha256?: string | null; md5?: string | null }): DownloadSource {
  return {
    open: async (offset) => {
      const res = await fetch(base, { headers: offset > 0 ? { range: `bytes=${offset}-` } : {} });
      const start = res.status === 206 ? Number(/^bytes (\d+)-/.exec(res.headers.get('content-range')!)![1]) : 0;
      return { body: Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), start };
    },
    expected: () => expected,
    retryable: (err) => !(err instanceof MlxError),
    fail: (err) => new MlxError('INTERNAL_ERROR', `download failed: ${(err as Error).message}`),
    what: 'artifact "w.bin" from test',
  };
}

const leftovers = () => fs.readdirSync(tmp).filter((n) => n.endsWith('.tmp'));

describe('downloadFile', () => {
  it('a connection cut midway resumes from the byte it reached, with a ranged request', async () => {
    behaviour.requests = [];
    behaviour.ranges = true;
    behaviour.cutFirst = 1024 * 1024;
    const dest = path.join(tmp, 'resumed.bin');
    await downloadFile(source({ size: bytes.length, sha256: sha }), dest);
    expect(fs.readFileSync(dest).equals(bytes)).toBe(true);
    expect(behaviour.requests[0]).toBeUndefined();
    expect(behaviour.requests).toHaveLength(2);
    expect(Number(/^bytes=(\d+)-$/.exec(behaviour.requests[1]!)![1])).toBeGreaterThan(0);
    expect(leftovers()).toEqual([]);
  });

  it('a server that ignores the range sends the whole file again: the temporary file starts over', async () => {
    behaviour.requests = [];
    behaviour.ranges = false;
    behaviour.cutFirst = 1024 * 1024;
    const dest = path.join(tmp, 'restarted.bin');
    await downloadFile(source({ size: bytes.length, sha256: sha }), dest);
    expect(fs.readFileSync(dest).equals(bytes)).toBe(true);
    expect(behaviour.requests).toHaveLength(2);
    expect(leftovers()).toEqual([]);
  });

  it('bytes that do not match the recorded sha256 (or the MD5 of a plain ETag) are refused, nothing written', async () => {
    behaviour.ranges = true;
    const dest = path.join(tmp, 'damaged.bin');
    await expect(downloadFile(source({ size: bytes.length, sha256: '0'.repeat(64) }), dest)).rejects.toThrow(
      `artifact "w.bin" from test arrived damaged (sha256 ${sha}, recorded ${'0'.repeat(64)}); nothing was written: try again`,
    );
    await expect(downloadFile(source({ size: bytes.length, md5: 'f'.repeat(32) }), dest)).rejects.toThrow(`MD5 differs from the ETag ${'f'.repeat(32)}`);
    await expect(downloadFile(source({ size: bytes.length + 1 }), dest)).rejects.toThrow(`(${bytes.length} bytes of ${bytes.length + 1})`);
    expect(fs.existsSync(dest)).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('a cut that keeps coming gives up after 3 resumes, in the source’s own words, nothing written', async () => {
    behaviour.ranges = true;
    const dest = path.join(tmp, 'flaky.bin');
    const flaky = source({ size: bytes.length });
    let opened = 0;
    const open = flaky.open;
    flaky.open = async (offset) => {
      opened++;
      behaviour.cutFirst = 1000;
      return open(offset);
    };
    await expect(downloadFile(flaky, dest)).rejects.toThrow(/^download failed: /);
    expect(opened).toBe(4);
    expect(fs.existsSync(dest)).toBe(false);
    expect(leftovers()).toEqual([]);
  });
});
