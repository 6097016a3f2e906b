// Deterministic test images for the serving benchmarks, drawn pixel by pixel from a seeded PRNG
// and encoded with sharp (the project's own dependency): nothing is downloaded.
import { rng } from './util.mjs';

/**
 * A photo-like JPEG: sky gradient with a sun glow, rolling hills with grainy texture, a striped
 * furry subject in front, sensor noise, a slight blur, quality 90 (4:2:0 chroma, as cameras do).
 */
export async function photoJpeg(width = 640, height = 480, seed = 1) {
  const { default: sharp } = await import('sharp');
  const rand = rng(seed);
  const px = Buffer.alloc(width * height * 3);
  const sunX = width * 0.78;
  const sunY = height * 0.18;
  const cx = width * 0.42;
  const cy = height * 0.66;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const h = height * (0.52 + 0.05 * Math.sin(x / 57) + 0.03 * Math.sin(x / 13 + 1.7));
      let r;
      let g;
      let b;
      if (y < h) {
        const t = y / h;
        r = 90 + 110 * t;
        g = 140 + 80 * t;
        b = 225 + 20 * t;
        const d = Math.hypot(x - sunX, y - sunY);
        const glow = Math.max(0, 1 - d / 140) ** 2;
        r += glow * 150;
        g += glow * 120;
        b += glow * 40;
      } else {
        const t = (y - h) / (height - h);
        const grain = (rand() - 0.5) * 50;
        r = 70 + 60 * t + grain;
        g = 110 + 40 * t + grain * 0.8;
        b = 40 + 20 * t + grain * 0.5;
      }
      // The subject: an ellipse of orange fur with dark stripes and a lighter belly.
      const ex = (x - cx) / 150;
      const ey = (y - cy) / 95;
      const e = ex * ex + ey * ey;
      if (e < 1) {
        const stripe = Math.sin(x / 9 + Math.sin(y / 17) * 2) > 0.45 ? 0.55 : 1;
        const belly = ey > 0.35 ? 1.25 : 1;
        const fur = 0.85 + rand() * 0.3;
        r = 210 * stripe * belly * fur;
        g = 130 * stripe * belly * fur;
        b = 60 * stripe * belly * fur;
        const edge = Math.max(0, (e - 0.85) / 0.15);
        r = r * (1 - edge) + 40 * edge;
        g = g * (1 - edge) + 30 * edge;
        b = b * (1 - edge) + 20 * edge;
      }
      const i = (y * width + x) * 3;
      const n = (rand() - 0.5) * 12;
      px[i] = Math.max(0, Math.min(255, Math.round(r + n)));
      px[i + 1] = Math.max(0, Math.min(255, Math.round(g + n)));
      px[i + 2] = Math.max(0, Math.min(255, Math.round(b + n)));
    }
  }
  return sharp(px, { raw: { width, height, channels: 3 } })
    .blur(0.6)
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** A small PNG (for requests that must be valid images but cheap). */
export async function smallPng(width = 64, height = 48, seed = 3) {
  const { default: sharp } = await import('sharp');
  const rand = rng(seed);
  const px = Buffer.alloc(width * height * 3);
  for (let i = 0; i < px.length; i++) px[i] = Math.floor(rand() * 256);
  return sharp(px, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

/** A multipart/form-data body with one file field, built once and reused for every request. */
export function multipartBody(field, filename, contentType, bytes) {
  const boundary = '----mlxbench7d1f3a9c2b';
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { body: Buffer.concat([head, Buffer.from(bytes), tail]), contentType: `multipart/form-data; boundary=${boundary}` };
}
