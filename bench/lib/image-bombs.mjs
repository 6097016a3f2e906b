// Decompression bombs for bench/serve-image-bombs.mjs and test/security/image-bombs.test.ts
// (types in image-bombs.d.mts): small files that decode to huge images.
import zlib from 'node:zlib';

/** A fully transparent RGBA PNG made with sharp (10000×10000 is 390 KB and decodes to 400 MB). */
export async function transparentPng(width, height) {
  const { default: sharp } = await import('sharp');
  return sharp({ create: { width, height, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
    .png()
    .toBuffer();
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(data, zlib.crc32(type)) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * A black 8-bit greyscale PNG written directly, its rows deflated a slice at a time (libvips needs
 * 45 s to make a 1×100,000,000 image; this takes about 1 s and 194 KB).
 */
export async function blackGreyPng(width, height) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 0;
  const row = width + 1;
  const rowsPerSlice = Math.max(1, Math.floor((8 << 20) / row));
  const slice = Buffer.alloc(Math.min(height, rowsPerSlice) * row);
  const deflate = zlib.createDeflate({ level: 9 });
  const parts = [];
  deflate.on('data', (d) => parts.push(d));
  const done = new Promise((resolve, reject) => deflate.on('end', resolve).on('error', reject));
  for (let left = height; left > 0; left -= rowsPerSlice) {
    const n = Math.min(left, rowsPerSlice);
    if (!deflate.write(slice.subarray(0, n * row))) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await done;
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', Buffer.concat(parts)), chunk('IEND', Buffer.alloc(0))]);
}

/** A multipart/form-data body with one "file" part per image, built once (FormData is slow for 10,000 parts). */
export function imagesForm(images) {
  const boundary = '----mlxbenchbombs5e2c';
  const parts = [];
  images.forEach((bytes, i) => {
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="image-${i}.png"\r\nContent-Type: image/png\r\n\r\n`),
      bytes,
      Buffer.from('\r\n'),
    );
  });
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}
