// Image bombs against `mlx serve` and `mlx predict` (issue 17, items 2 and 15): small uploads that
// decode to huge images, or one request with thousands of images. Each is refused from its header or
// its count, before anything is decoded, with a 413 naming the limit and the flag that sets it; the
// server keeps answering /health meanwhile and serves the next normal image. Real servers on
// 127.0.0.1, real PNG files.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError as expectCliError, mlx } from '../helpers/cli.js';
import { blackGreyPng, transparentPng } from '../../bench/lib/image-bombs.mjs';
import { servingProject, startServe, stopAll, type Server } from '../helpers/serve.js';
import { encodedImage, imageForm, json } from '../helpers/serving-fixtures.js';

const T = 120_000;
let dir: string;
let img: Server;
let bomb: Buffer; // 10000×10000 transparent: 390 KB, 100 Mpx
let strip: Buffer; // 1×100,000,000 greyscale: 194 KB, 100 Mpx
let cat: Awaited<ReturnType<typeof encodedImage>>;

beforeAll(async () => {
  dir = servingProject('mlx-image-bombs-');
  [img, bomb, strip, cat] = await Promise.all([
    startServe(dir, 'models:/img/1'),
    transparentPng(10_000, 10_000),
    blackGreyPng(1, 100_000_000),
    encodedImage('cat', 3),
  ]);
}, T);

afterAll(async () => {
  await stopAll();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const predict = (s: Server, form: FormData) => fetch(`${s.base}/predict`, { method: 'POST', body: form });

/** A 413 in MLflow's error shape whose message names each of `mentions`. */
async function tooLarge(res: Response | Promise<Response>, ...mentions: string[]): Promise<string> {
  const r = await res;
  const body = await json(r);
  expect(r.status, JSON.stringify(body)).toBe(413);
  expect(body.error_code).toBe('REQUEST_TOO_LARGE');
  expect(body.message.split('\n')).toHaveLength(1);
  for (const m of mentions) expect(body.message).toContain(m);
  return body.message;
}

/** The server still answers /health and classifies a normal image. */
async function stillServes(s: Server = img): Promise<void> {
  expect((await fetch(`${s.base}/health`)).status).toBe(200);
  const r = await predict(s, imageForm(cat.bytes));
  expect(r.status, 'a normal image after the bomb').toBe(200);
  expect((await json(r)).label).toBe('cat');
}

/** CPU seconds (user + system) of a process, and of its main thread alone (Linux /proc; tick resolution). */
function cpuSeconds(pid: number): { process: number; main: number } {
  const read = (file: string) => {
    const fields = fs.readFileSync(file, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime (fields 14, 15) in USER_HZ
  };
  return { process: read(`/proc/${pid}/stat`), main: read(`/proc/${pid}/task/${pid}/stat`) };
}

describe('mlx serve refuses image bombs before decoding them', () => {
  it(
    'a 10000×10000 transparent PNG (390 KB): 413 naming the pixel limit and --max-image-pixels; a normal image is served next',
    async () => {
      const message = await tooLarge(predict(img, imageForm(bomb)), '10000×10000', '40,000,000', '--max-image-pixels');
      expect(message).not.toContain('image 1 of');
      await stillServes();
    },
    T,
  );

  it(
    'ten of them in one request: 413 naming the first, and nothing of the request is decoded',
    async () => {
      await tooLarge(predict(img, imageForm(...Array.from({ length: 10 }, () => bomb))), 'image 1 of 10 ("image-0.png")', '40,000,000', '--max-image-pixels');
      // A good image first does not change that: every header is checked before any image is decoded.
      await tooLarge(predict(img, imageForm(cat.bytes, bomb)), 'image 2 of 2 ("image-1.png")', '--max-image-pixels');
      await stillServes();
    },
    T,
  );

  it(
    'a 1×100,000,000 PNG (194 KB): 413 naming the limit, not a 500 after a long decode',
    async () => {
      await tooLarge(predict(img, imageForm(strip)), '1×100000000', '40,000,000', '--max-image-pixels');
      await stillServes();
    },
    T,
  );

  it(
    'a 100000×1 PNG (within the pixel limit, one very wide row): 413 naming the side limit',
    async () => {
      // libvips holds several rows of an image per thread: a 40,000,000×1 PNG took 1.5 GB to decode.
      await tooLarge(predict(img, imageForm(await blackGreyPng(100_000, 1))), '100000×1', '65,535');
      await stillServes();
    },
    T,
  );

  it(
    'an SVG (a vector document that renders to whatever size it declares) is refused before decoding: 400 naming its format',
    async () => {
      const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="3000" height="3000"><rect width="100%" height="100%"/></svg>');
      const r = await predict(img, imageForm(svg));
      const body = await json(r);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(body.message).toMatch(/cannot decode image: it is SVG, which mlx does not decode; send a JPEG, PNG or WebP file/);
      await stillServes();
    },
    T,
  );

  it(
    '10,000 tiny images in one request: 413 naming --max-images, before any is decoded (not a 503 after)',
    async () => {
      const tiny = await transparentPng(1, 1); // 70 bytes: the 10,000 fit well within --max-body-mb
      const message = await tooLarge(predict(img, imageForm(...Array.from({ length: 10_000 }, () => tiny))), 'more than 64', '--max-images');
      expect(message).not.toMatch(/waiting/);
      await stillServes();
    },
    T,
  );

  it(
    '200,000 empty fields beside one image (12 MB): 413 naming the field limit, not 0.7 s of the serving thread spent reading them',
    async () => {
      const boundary = 'mlxfields';
      const head = Buffer.from(Array.from({ length: 200_000 }, (_, i) => `--${boundary}\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\n\r\n`).join(''));
      const file = Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cat.png"\r\n\r\n`), cat.bytes]);
      const body = Buffer.concat([head, file, Buffer.from(`\r\n--${boundary}--\r\n`)]);
      const r = fetch(`${img.base}/predict`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body });
      await tooLarge(r, 'more than 1000 fields', '"file"');
      await stillServes();
    },
    T,
  );

  it.skipIf(!fs.existsSync('/proc/self/task'))(
    'a large image within the limits is decoded and resized off the event loop: /health answers meanwhile',
    async () => {
      // 36 Mpx with transparency: the exact PIL resize, in JavaScript, not libvips. Whether that work
      // runs on the main thread is read from the kernel's CPU accounting per thread (a share of CPU
      // time, not a clock: a busy machine slows both sides alike).
      const big = await transparentPng(6000, 6000);
      const pid = img.proc.pid!;
      await stillServes();
      const before = cpuSeconds(pid);
      let answered = false;
      const heavy = predict(img, imageForm(big, big)).then(async (r) => {
        answered = true;
        return { status: r.status, body: await json(r) };
      });
      const health = await fetch(`${img.base}/health`);
      expect(health.status).toBe(200);
      expect(answered, '/health answered before the large upload').toBe(false);
      const done = await heavy;
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      expect(done.body.predictions).toHaveLength(2);
      const after = cpuSeconds(pid);
      const total = after.process - before.process;
      const main = after.main - before.main;
      expect(total, 'the server did the work').toBeGreaterThan(0.1);
      expect(main / total, `main thread ${main.toFixed(2)} s of ${total.toFixed(2)} s of CPU`).toBeLessThan(0.3);
    },
    T,
  );
});

describe('the limits are flags', () => {
  let limited: Server;
  let queue: Server;
  beforeAll(async () => {
    [limited, queue] = await Promise.all([
      startServe(dir, 'models:/img/1', ['--max-image-pixels', '2000', '--max-images', '2']),
      startServe(dir, 'models:/img/1', ['--max-queue', '4']),
    ]);
  }, T);

  it(
    '--max-image-pixels and --max-images: the given limits, named in the 413',
    async () => {
      const small = await transparentPng(40, 40); // 1,600 pixels
      const over = await transparentPng(64, 64); // 4,096 pixels
      expect((await predict(limited, imageForm(small, cat.bytes))).status).toBe(200);
      await tooLarge(predict(limited, imageForm(over)), '64×64', '2,000', '--max-image-pixels');
      await tooLarge(predict(limited, imageForm(cat.bytes, cat.bytes, cat.bytes)), 'more than 2', '--max-images');
      await stillServes(limited);
    },
    T,
  );

  it(
    'an idle server answers every image of a request, even more than --max-queue (they are admitted together)',
    async () => {
      const images = await Promise.all(Array.from({ length: 10 }, (_, i) => encodedImage(i % 2 ? 'cat' : 'bird', 40 + i)));
      const r = await predict(queue, imageForm(...images.map((x) => x.bytes)));
      const body = await json(r);
      expect(r.status, JSON.stringify(body)).toBe(200);
      expect(body.predictions.map((p: { label: string }) => p.label)).toEqual(images.map((x) => x.label));
    },
    T,
  );

  it(
    'bad values: one line naming the flag and value, exit 2 (a usage error, as the other numeric flags of mlx serve)',
    () => {
      for (const v of ['0', '-5', 'lots', '1.5', '2000000000'])
        expectCliError(mlx(dir, ['serve', 'models:/img/1', '--port', '0', '--max-image-pixels', v]), 2, '--max-image-pixels', `"${v}"`);
      for (const v of ['0', 'x', '100000']) expectCliError(mlx(dir, ['serve', 'models:/img/1', '--port', '0', '--max-images', v]), 2, '--max-images', `"${v}"`);
      expectCliError(mlx(dir, ['predict', 'models:/img/1', '--input', '.', '--max-image-pixels', 'many']), 2, '--max-image-pixels', '"many"');
    },
    T,
  );
});

describe('mlx predict on a folder with a bomb', () => {
  it(
    'exit 1 with one line naming the file and the limit; no output file is left',
    async () => {
      const folder = path.join(dir, 'photos');
      fs.mkdirSync(folder, { recursive: true });
      fs.writeFileSync(path.join(folder, 'a-cat.png'), cat.bytes);
      fs.writeFileSync(path.join(folder, 'b-bomb.png'), bomb);
      fs.writeFileSync(path.join(folder, 'c-cat.png'), cat.bytes);
      const r = mlx(dir, ['predict', 'models:/img/1', '--input', 'photos', '--output', 'out/preds.jsonl']);
      expectCliError(r, 1, 'b-bomb.png', '10000×10000', '40,000,000', '--max-image-pixels');
      expect(fs.existsSync(path.join(dir, 'out/preds.jsonl'))).toBe(false);
      expect(fs.readdirSync(path.join(dir, 'out'))).toEqual([]);
      const ok = mlx(dir, ['predict', 'models:/img/1', '--input', 'photos', '--max-image-pixels', '100000000']);
      expect(ok.code, ok.stderr).toBe(0);
      expect(
        ok.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).file),
      ).toEqual(['a-cat.png', 'b-bomb.png', 'c-cat.png']);
    },
    T,
  );
});
