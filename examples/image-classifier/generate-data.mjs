// Generates a small labelled image set for the seed's five classes (cat, dog, bird, fish, other):
// each class is a synthetic shape in its own colour family, drawn as SVG, rendered by sharp, with
// random position, size, rotation, colour jitter, background and pixel noise, saved as JPEG.
//
//   node generate-data.mjs OUT_DIR [--train-per-class 60] [--val-per-class 20] [--heldout-per-class 4] [--seed 1]
//
// OUT_DIR gets:
//   train/<label>/<label>_000.jpg …   64x64 training images        train.csv   file,label (one row per image)
//   val/<label>/…                     64x64 validation images      val.csv
//   heldout/<label>_0.jpg …           96x96 images no training run ever sees (their name says their class)
//   test_image.jpg                    one held-out dog, for the seed's `curl … -F "file=@test_image.jpg"`
//   labels.txt                        the class names, one per line, in the model's output order
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { createRng, SEED_LABELS } from '../../dist/models/onnx/sample-models.js';

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'train-per-class': { type: 'string', default: '60' },
    'val-per-class': { type: 'string', default: '20' },
    'heldout-per-class': { type: 'string', default: '4' },
    seed: { type: 'string', default: '1' },
  },
});
if (positionals.length !== 1) {
  console.error('usage: node generate-data.mjs OUT_DIR [--train-per-class N] [--val-per-class N] [--heldout-per-class N] [--seed S]');
  process.exit(2);
}
const out = path.resolve(positionals[0]);
const rng = createRng(Number(opts.seed));
const between = (lo, hi) => lo + (hi - lo) * rng.next();
const hsl = (h, s, l) => `hsl(${h.toFixed(0)},${s.toFixed(0)}%,${l.toFixed(0)}%)`;

// One drawing per class, on a 100x100 canvas centred at (0, 0). Colours vary around a hue per class;
// "other" is a grey star, so colour alone almost tells the classes apart and shape helps.
const SHAPES = {
  cat: () => {
    // an orange face with two pointed ears
    const fur = hsl(between(22, 38), between(75, 95), between(50, 62));
    return `<polygon points="-30,-10 -24,-42 -6,-24" fill="${fur}"/><polygon points="30,-10 24,-42 6,-24" fill="${fur}"/>
      <circle r="28" fill="${fur}"/><circle cx="-10" cy="-4" r="4" fill="#222"/><circle cx="10" cy="-4" r="4" fill="#222"/>`;
  },
  dog: () => {
    // a dark brown head with long floppy ears
    const fur = hsl(between(15, 30), between(40, 60), between(22, 34));
    return `<rect x="-24" y="-26" width="48" height="52" rx="16" fill="${fur}"/>
      <ellipse cx="-28" cy="4" rx="9" ry="22" fill="${hsl(20, 40, 15)}"/><ellipse cx="28" cy="4" rx="9" ry="22" fill="${hsl(20, 40, 15)}"/>
      <ellipse cx="0" cy="12" rx="8" ry="6" fill="#111"/>`;
  },
  bird: () => {
    // a blue body, a wing and a yellow beak
    const feathers = hsl(between(200, 230), between(70, 90), between(45, 60));
    return `<ellipse rx="30" ry="20" fill="${feathers}"/><polygon points="-12,-4 14,-4 0,-36" fill="${hsl(215, 80, 35)}"/>
      <polygon points="28,-6 44,0 28,6" fill="${hsl(50, 95, 55)}"/><circle cx="16" cy="-6" r="3" fill="#111"/>`;
  },
  fish: () => {
    // a long green body with a tail fin
    const scales = hsl(between(135, 165), between(60, 85), between(38, 52));
    return `<ellipse cx="-6" rx="32" ry="14" fill="${scales}"/><polygon points="22,0 44,-18 44,18" fill="${scales}"/>
      <circle cx="-26" cy="-3" r="3" fill="#111"/>`;
  },
  other: () => {
    // a grey star: no colour at all
    const grey = hsl(0, 0, between(30, 70));
    const points = Array.from({ length: 10 }, (_, i) => {
      const r = i % 2 ? 14 : 34;
      const a = (Math.PI * i) / 5;
      return `${(r * Math.sin(a)).toFixed(1)},${(-r * Math.cos(a)).toFixed(1)}`;
    });
    return `<polygon points="${points.join(' ')}" fill="${grey}"/>`;
  },
};

/** Renders one random image of a class as JPEG bytes: SVG → raw RGB (sharp) → noise → JPEG (sharp). */
async function drawImage(label, size) {
  const background = hsl(between(0, 360), between(5, 30), between(78, 94));
  const [dx, dy] = [between(-12, 12), between(-12, 12)];
  const transform = `translate(${50 + dx} ${50 + dy}) rotate(${between(-20, 20)}) scale(${between(0.75, 1.1)})`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 100 100">
    <rect width="100" height="100" fill="${background}"/><g transform="${transform}">${SHAPES[label]()}</g></svg>`;
  const { data, info } = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  // Sensor-like noise: every channel of every pixel moves by a normal amount (sd 12 grey levels).
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, Math.round(data[i] + rng.normal(0, 12))));
  return sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** Writes `perClass` images of every class under OUT_DIR/split and returns the manifest rows. */
async function writeSplit(split, perClass, size) {
  const rows = [];
  for (const label of SEED_LABELS) {
    fs.mkdirSync(path.join(out, split, label), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const file = path.join(split, label, `${label}_${String(i).padStart(3, '0')}.jpg`);
      fs.writeFileSync(path.join(out, file), await drawImage(label, size));
      rows.push(`${file},${label}`);
    }
  }
  fs.writeFileSync(path.join(out, `${split}.csv`), `file,label\n${rows.join('\n')}\n`);
  return rows;
}

const started = Date.now();
fs.mkdirSync(out, { recursive: true });
const train = await writeSplit('train', Number(opts['train-per-class']), 64);
const val = await writeSplit('val', Number(opts['val-per-class']), 64);
// Held-out images are bigger (96x96) than the training ones: preprocessing resizes both to the model's input.
fs.mkdirSync(path.join(out, 'heldout'), { recursive: true });
const heldout = Number(opts['heldout-per-class']);
for (const label of SEED_LABELS) for (let i = 0; i < heldout; i++) fs.writeFileSync(path.join(out, 'heldout', `${label}_${i}.jpg`), await drawImage(label, 96));
fs.copyFileSync(path.join(out, 'heldout', 'dog_0.jpg'), path.join(out, 'test_image.jpg'));
fs.writeFileSync(path.join(out, 'labels.txt'), `${SEED_LABELS.join('\n')}\n`);
console.log(
  `wrote ${train.length} training, ${val.length} validation and ${heldout * SEED_LABELS.length} held-out images ` +
    `of ${SEED_LABELS.join(', ')} to ${out} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
