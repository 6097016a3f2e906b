// The one download routine of the remote artifact repositories (S3, a tracking server's proxy):
// the bytes stream into a temporary file beside dest, a connection cut midway resumes from the
// byte it reached (when the source can: a ranged request for the same version), the bytes are
// checked against what the source said they would be, and only then is the file renamed into
// place. Nothing half-written is ever left at dest.
import { createHash, randomBytes, type Hash } from 'node:crypto';
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { MlxError } from '../core/errors.js';

/** A connection cut midway resumes from the byte it reached, this many times. */
export const DOWNLOAD_RESUMES = 3;

export interface DownloadSource {
  /**
   * Opens the bytes from offset on. `start` is where the body really begins: 0 when the source
   * ignored the range (the file then starts over).
   */
  open(offset: number): Promise<{ body: Readable; start: number }>;
  /** What the bytes must be: their count, and when known their sha256, or the MD5 of a plain ETag. */
  expected(): { size?: number; sha256?: string | null; md5?: string | null };
  /** False for an error that resuming cannot mend (an HTTP answer such as 412: the object changed). */
  retryable(err: unknown): boolean;
  /** Words an error of the source (not MlxError) in the repository's terms. */
  fail(err: unknown): MlxError;
  /** "artifact "x" from s3://…", for the damaged-bytes message. */
  what: string;
}

type Sums = { sha: Hash; md5: Hash; written: number };
const fresh = (): Sums => ({ sha: createHash('sha256'), md5: createHash('md5'), written: 0 });

/** Streams source into dest: written whole and verified, or not at all. */
export async function downloadFile(source: DownloadSource, dest: string): Promise<void> {
  const tmp = `${dest}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  let sums = fresh();
  try {
    let out = fs.createWriteStream(tmp);
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          const { body, start } = await source.open(sums.written);
          if (start !== sums.written) {
            if (start !== 0)
              throw new MlxError('INTERNAL_ERROR', `${source.what} resumed at byte ${start}, not ${sums.written}; nothing was written: try again`);
            // The source sent the whole file again: start the temporary file over.
            await end(out);
            out = fs.createWriteStream(tmp);
            sums = fresh();
          }
          await pipeInto(body, out, sums);
          break;
        } catch (err) {
          if (attempt >= DOWNLOAD_RESUMES || !source.retryable(err) || out.errored) throw err;
        }
      }
    } finally {
      await end(out);
    }
    verify(source, sums);
    fs.renameSync(tmp, dest);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    if (err instanceof MlxError) throw err;
    throw source.fail(err);
  }
}

const end = (out: fs.WriteStream) => new Promise<void>((resolve, reject) => out.once('error', reject).end(resolve));

/** Writes a response body into out (without ending it: a resumed body continues the same file), hashing as it goes. */
function pipeInto(body: Readable, out: fs.WriteStream, sums: Sums): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const fail = (err: unknown) => {
      body.destroy();
      out.off('drain', resume);
      reject(err);
    };
    const resume = () => body.resume();
    out.once('error', fail);
    body.on('error', fail);
    body.on('end', () => {
      out.off('error', fail);
      resolve();
    });
    body.on('data', (chunk: Buffer) => {
      sums.written += chunk.length;
      sums.sha.update(chunk);
      sums.md5.update(chunk);
      if (!out.write(chunk)) {
        body.pause();
        out.once('drain', resume);
      }
    });
  });
}

function verify(source: DownloadSource, sums: Sums): void {
  const bad = (why: string) => new MlxError('INTERNAL_ERROR', `${source.what} arrived damaged (${why}); nothing was written: try again`);
  const e = source.expected();
  if (e.size !== undefined && sums.written !== e.size) throw bad(`${sums.written} bytes of ${e.size}`);
  const digest = sums.sha.digest('hex');
  if (e.sha256 && digest !== e.sha256) throw bad(`sha256 ${digest}, recorded ${e.sha256}`);
  if (!e.sha256 && e.md5) {
    const md5 = sums.md5.digest('hex');
    if (md5 !== e.md5) throw bad(`MD5 differs from the ETag ${e.md5}`);
  }
}
