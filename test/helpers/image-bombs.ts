// Decompression bombs for the image-serving tests: small files that decode to huge images.
import zlib from 'node:zlib';
import sharp from 'sharp';

/** A fully transparent RGBA PNG (10000×10000 is about 390 KB and decodes to 400 MB). */
export function transparentPng(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(data, zlib.crc32(type)) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * A black 8-bit greyscale PNG of any size, written directly: libvips takes about 0.5 µs per row to
 * make one (45 s for 1×100,000,000). The rows are deflated a slice at a time, so even a 100 Mpx
 * image costs only its compressed size in memory; 1×100,000,000 is about 194 KB.
 */
export async function blackGreyPng(width: number, height: number): Promise<Buffer> {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const row = width + 1; // a filter byte and one byte per pixel, all zero
  const rowsPerSlice = Math.max(1, Math.floor((8 << 20) / row));
  const slice = Buffer.alloc(Math.min(height, rowsPerSlice) * row);
  const deflate = zlib.createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on('data', (d: Buffer) => parts.push(d));
  const done = new Promise<void>((resolve, reject) => deflate.on('end', resolve).on('error', reject));
  for (let left = height; left > 0; left -= rowsPerSlice) {
    const n = Math.min(left, rowsPerSlice);
    if (!deflate.write(slice.subarray(0, n * row))) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await done;
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', Buffer.concat(parts)), chunk('IEND', Buffer.alloc(0))]);
}
