// HTTP requests whose path is sent byte for byte as given. fetch() and new URL() normalise paths
// (they drop "./" and "x/../" and turn "\" into "/"), which hides exactly what path-handling
// attacks send; node:http's request() writes the path it is given.
import http from 'node:http';

export interface RawReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: any;
}

export interface RawRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/** One request to base (http://127.0.0.1:PORT) with the path exactly as written. */
export function rawRequest(base: string, rawPath: string, o: RawRequest = {}): Promise<RawReply> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, method: o.method ?? 'GET', path: rawPath, headers: { connection: 'close', ...o.headers } }, (res) =>
      readReply(res).then(resolve, reject),
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

/** A response read whole: its status, headers, text and JSON (when it is JSON). */
export function readReply(res: http.IncomingMessage): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('error', reject);
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let json: any;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
    });
  });
}
