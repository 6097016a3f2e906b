import net from 'node:net';

/** A TCP port free on 127.0.0.1 right now (the OS picks it), for a server a test starts. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/**
 * Polls check until it answers true; throws with what exited() returns once the process under test has
 * exited (its stderr), or after ms.
 */
export async function waitUntil(check: () => Promise<boolean>, exited: () => string | null, ms: number, what = 'the server'): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const gone = exited();
    if (gone !== null) throw new Error(`${what} exited before it was ready:\n${gone}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`${what} was not ready in time`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
