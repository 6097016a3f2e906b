// A counting HTTP proxy in front of an S3-protocol server, for the resumable-upload tests: it
// forwards every request unchanged (the Host header too, so SigV4 signatures still verify),
// names each by its S3 operation, and can hold or refuse UploadPart requests once a number of
// them were answered, so a test can kill an upload at a known point or make it fail.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type S3Op =
  'UploadPart' | 'CreateMultipartUpload' | 'CompleteMultipartUpload' | 'AbortMultipartUpload' | 'ListParts' | 'ListMultipartUploads' | 'PutObject' | 'Other';

export interface CountingProxy {
  endpoint: string;
  /** Operations seen since the last reset, in order. */
  ops: S3Op[];
  count(op: S3Op): number;
  /** Body bytes of the UploadPart requests forwarded since the last reset. */
  partBytes: number;
  /** UploadPart requests S3 answered with 200 since the last reset. */
  partsAnswered: number;
  /** After this many forwarded parts, further UploadPart requests wait (never forwarded), or are refused with 403. */
  set(mode: { holdAfter?: number; refuseAfter?: number }): void;
  reset(): void;
  close(): Promise<void>;
}

function opOf(method: string, url: URL): S3Op {
  const q = url.searchParams;
  if (method === 'PUT' && q.has('partNumber') && q.has('uploadId')) return 'UploadPart';
  if (method === 'POST' && q.has('uploads')) return 'CreateMultipartUpload';
  if (method === 'POST' && q.has('uploadId')) return 'CompleteMultipartUpload';
  if (method === 'DELETE' && q.has('uploadId')) return 'AbortMultipartUpload';
  if (method === 'GET' && q.has('uploadId')) return 'ListParts';
  if (method === 'GET' && q.has('uploads')) return 'ListMultipartUploads';
  if (method === 'PUT' && [...q.keys()].every((k) => k === 'x-id') && url.pathname.split('/').filter(Boolean).length > 1) return 'PutObject';
  return 'Other';
}

/** Starts the proxy on 127.0.0.1 in front of target (http://127.0.0.1:PORT). */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const to = new URL(target);
  let mode: { holdAfter?: number; refuseAfter?: number } = {};
  const held = new Set<http.ServerResponse>();
  // Decided on arrival (forwarded so far), not on answers: a part answered but not yet counted would let extra parts through.
  const state = { ops: [] as S3Op[], partBytes: 0, partsAnswered: 0, partsForwarded: 0 };
  const server = http.createServer((req, res) => {
    const op = opOf(req.method ?? 'GET', new URL(req.url ?? '/', 'http://x'));
    state.ops.push(op);
    if (op === 'UploadPart' && mode.holdAfter !== undefined && state.partsForwarded >= mode.holdAfter) {
      held.add(res);
      return;
    }
    if (op === 'UploadPart' && mode.refuseAfter !== undefined && state.partsForwarded >= mode.refuseAfter) {
      req.resume();
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>');
      return;
    }
    if (op === 'UploadPart') state.partsForwarded++;
    const up = http.request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers, agent: false }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      answer.on('end', () => {
        if (op === 'UploadPart' && answer.statusCode === 200) state.partsAnswered++;
      });
    });
    up.on('error', () => res.destroy());
    req.on('data', (d: Buffer) => {
      if (op === 'UploadPart') state.partBytes += d.length;
    });
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get ops() {
      return state.ops;
    },
    count: (op) => state.ops.filter((o) => o === op).length,
    get partBytes() {
      return state.partBytes;
    },
    get partsAnswered() {
      return state.partsAnswered;
    },
    set: (m) => {
      mode = m;
    },
    reset: () => {
      mode = {};
      state.ops = [];
      state.partBytes = 0;
      state.partsAnswered = 0;
      state.partsForwarded = 0;
      for (const r of held) r.destroy();
      held.clear();
    },
    close: async () => {
      for (const r of held) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
