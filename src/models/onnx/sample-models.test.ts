import { describe, it, expect, beforeAll } from 'vitest';
import * as ort from 'onnxruntime-node';
import { readModelInfo } from './model-info.js';
import {
  DRIFT_FEATURES,
  SEED_LABELS,
  argmax,
  brokenModels,
  classifyImage,
  createRng,
  evaluateTabular,
  imageClassifierOnnx,
  predictImage,
  predictTabular,
  seedDriftData,
  syntheticImage,
  tabularClassifierOnnx,
  tabularDataCsv,
  tabularLogits,
  trainImageClassifier,
  trainTabularClassifier,
  type ImageModel,
  type TabularModel,
} from './sample-models.js';

const TOLERANCE = 1e-5;

// Absolute difference for values up to 1, relative above: float32 keeps ~7 significant digits, so a logit of
// 300 (an out-of-range customer) cannot match to 1e-5 absolute in any float32 runtime.
function maxDiff(expected: number[][], actual: Float32Array): number {
  let max = 0;
  expected.forEach((row, i) => row.forEach((v, k) => (max = Math.max(max, Math.abs(v - actual[i * row.length + k]) / Math.max(1, Math.abs(v))))));
  return max;
}

const column = (rows: number[][], f: number) => rows.map((r) => r[f]);
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

describe('seedDriftData', () => {
  it('is deterministic, plausible and labels three balanced classes', () => {
    const a = seedDriftData(3000, 1);
    expect(seedDriftData(3000, 1)).toEqual(a);
    expect(seedDriftData(50, 2).rows).not.toEqual(a.rows.slice(0, 50));
    expect(a.featureNames).toEqual([...DRIFT_FEATURES]);
    expect(a.classNames).toEqual(['low', 'medium', 'high']);
    for (const [age, income, score, clicks, time] of a.rows) {
      expect(Number.isInteger(age) && age >= 18 && age <= 90).toBe(true);
      expect(Number.isInteger(income) && income > 0).toBe(true);
      expect(score >= 0 && score <= 100).toBe(true);
      expect(Number.isInteger(clicks) && clicks >= 0).toBe(true);
      expect(time > 0).toBe(true);
    }
    expect(mean(column(a.rows, 0))).toBeCloseTo(40, -0.5);
    for (let k = 0; k < 3; k++) expect(a.labels.filter((l) => l === k).length / a.labels.length).toBeGreaterThan(0.25);
  });

  it('shifts features by standard deviations, all or one', () => {
    const ref = seedDriftData(2000, 3);
    const all = seedDriftData(2000, 3, { shift: 1 });
    const incomeOnly = seedDriftData(2000, 3, { shift: { income: 1 } });
    expect(mean(column(all.rows, 0)) - mean(column(ref.rows, 0))).toBeGreaterThan(10);
    expect(mean(column(incomeOnly.rows, 1)) / mean(column(ref.rows, 1))).toBeGreaterThan(1.4);
    expect(column(incomeOnly.rows, 0)).toEqual(column(ref.rows, 0));
    // The concept is fixed, so richer customers are more often "high".
    expect(mean(incomeOnly.labels)).toBeGreaterThan(mean(ref.labels) + 0.2);
  });

  it('writes CSV', () => {
    const csv = tabularDataCsv(seedDriftData(2, 1)).split('\n');
    expect(csv[0]).toBe('age,income,score,clicks,time,label');
    expect(csv[1]).toMatch(/^\d+,\d+,[\d.]+,\d+,[\d.]+,(low|medium|high)$/);
    expect(tabularDataCsv(seedDriftData(1, 1), { label: false }).split('\n')[0]).toBe('age,income,score,clicks,time');
  });
});

describe('tabular classifier', () => {
  let model: TabularModel;
  let bytes: Uint8Array;
  const test = seedDriftData(1000, 2);
  beforeAll(() => {
    model = trainTabularClassifier(seedDriftData(2000, 1), { seed: 1 });
    bytes = tabularClassifierOnnx(model, { logits: true });
  });

  it('learns: loss falls and held-out accuracy is at least 0.8', () => {
    expect(model.history.loss.at(-1)!).toBeLessThan(model.history.loss[0]);
    expect(model.history.accuracy.at(-1)!).toBeGreaterThan(0.8);
    expect(evaluateTabular(model, test).accuracy).toBeGreaterThanOrEqual(0.8);
  });

  it('is a few KB with the documented signature', () => {
    expect(bytes.length).toBeLessThan(4096);
    const info = readModelInfo(bytes, 'tabular.onnx');
    expect(info.inputs).toEqual([{ name: 'features', type: 'float32', shape: [-1, 5], dimNames: ['batch', null] }]);
    expect(info.outputs.map((o) => [o.name, o.shape])).toEqual([
      ['probabilities', [-1, 3]],
      ['logits', [-1, 3]],
    ]);
    expect(info.metadata.labels).toBe('low,medium,high');
    expect(readModelInfo(tabularClassifierOnnx(model)).outputs.map((o) => o.name)).toEqual(['probabilities']);
  });

  it('gives the same outputs in onnxruntime as in TypeScript', async () => {
    const session = await ort.InferenceSession.create(bytes);
    const rows = [...test.rows, ...seedDriftData(500, 9, { shift: 1.5 }).rows, [18, 1, 0, 0, 0.01], [90, 2_000_000, 100, 500, 300]];
    const out = await session.run({ features: new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, 5]) });
    const probs = out.probabilities.data as Float32Array;
    expect(maxDiff(predictTabular(model, rows), probs)).toBeLessThan(TOLERANCE);
    expect(maxDiff(tabularLogits(model, rows), out.logits.data as Float32Array)).toBeLessThan(TOLERANCE);
    for (let i = 0; i < rows.length; i++) expect(probs[i * 3] + probs[i * 3 + 1] + probs[i * 3 + 2]).toBeCloseTo(1, 5);
  });

  it('is deterministic for a seed', () => {
    const again = tabularClassifierOnnx(trainTabularClassifier(seedDriftData(2000, 1), { seed: 1 }), { logits: true });
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
    const other = tabularClassifierOnnx(trainTabularClassifier(seedDriftData(2000, 1), { seed: 2 }), { logits: true });
    expect(Buffer.from(other).equals(Buffer.from(bytes))).toBe(false);
  });
});

describe('image classifier', () => {
  let model: ImageModel;
  let bytes: Uint8Array;
  beforeAll(() => {
    model = trainImageClassifier();
    bytes = imageClassifierOnnx(model);
  });

  it('makes reproducible images whose float CHW is the 8-bit RGB over 255', () => {
    const img = syntheticImage('fish', 3, 16, 24);
    expect(syntheticImage('fish', 3, 16, 24)).toEqual(img);
    expect(syntheticImage('fish', 4, 16, 24).rgb).not.toEqual(img.rgb);
    expect([img.height, img.width, img.chw.length, img.rgb.length]).toEqual([16, 24, 3 * 16 * 24, 3 * 16 * 24]);
    const plane = 16 * 24;
    for (let i = 0; i < plane; i++) {
      for (let c = 0; c < 3; c++) expect(img.chw[c * plane + i]).toBe(Math.fround(img.rgb[i * 3 + c] / 255));
    }
    const cat = syntheticImage('cat', 1);
    const channelMean = (c: number) => mean(Array.from(cat.chw.subarray(c * 1024, (c + 1) * 1024)));
    expect(channelMean(0)).toBeGreaterThan(channelMean(1));
    expect(channelMean(0)).toBeGreaterThan(channelMean(2));
  });

  it('classifies held-out synthetic images (accuracy at least 0.9)', () => {
    let correct = 0;
    let total = 0;
    for (let i = 0; i < 40; i++) {
      for (const label of SEED_LABELS) {
        total++;
        if (classifyImage(model, syntheticImage(label, 10_000 + i).chw) === label) correct++;
      }
    }
    expect(model.trainAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(correct / total).toBeGreaterThanOrEqual(0.9);
  });

  it('is a few KB with the documented signature', () => {
    expect(bytes.length).toBeLessThan(4096);
    const info = readModelInfo(bytes, 'image.onnx');
    expect(info.inputs).toEqual([{ name: 'image', type: 'float32', shape: [-1, 3, 32, 32], dimNames: ['batch', null, null, null] }]);
    expect(info.outputs).toEqual([{ name: 'logits', type: 'float32', shape: [-1, 5], dimNames: ['batch', null] }]);
    expect(info.metadata.labels).toBe(SEED_LABELS.join(','));
  });

  it('gives the same logits in onnxruntime as in TypeScript, at any batch size', async () => {
    const session = await ort.InferenceSession.create(bytes);
    const rng = createRng(5);
    const images = SEED_LABELS.flatMap((label) => Array.from({ length: 8 }, (_, i) => syntheticImage(label, 500 + i).chw));
    images.push(
      Float32Array.from({ length: 3072 }, () => rng.next()),
      new Float32Array(3072),
      new Float32Array(3072).fill(1),
    );
    for (const batch of [1, 7, images.length]) {
      const chunk = images.slice(0, batch);
      const data = new Float32Array(batch * 3072);
      chunk.forEach((chw, i) => data.set(chw, i * 3072));
      const out = await session.run({ image: new ort.Tensor('float32', data, [batch, 3, 32, 32]) });
      const logits = out.logits.data as Float32Array;
      expect(out.logits.dims).toEqual([batch, 5]);
      expect(
        maxDiff(
          chunk.map((chw) => predictImage(model, chw)),
          logits,
        ),
      ).toBeLessThan(TOLERANCE);
      chunk.slice(0, Math.min(batch, 40)).forEach((_, i) => {
        expect(argmax(logits.subarray(i * 5, i * 5 + 5))).toBe(Math.floor(i / 8));
      });
    }
  });

  it('is deterministic and other sizes work', async () => {
    expect(Buffer.from(imageClassifierOnnx()).equals(Buffer.from(bytes))).toBe(true);
    const small = trainImageClassifier({ height: 16, width: 20 });
    const session = await ort.InferenceSession.create(imageClassifierOnnx(small));
    const img = syntheticImage('bird', 77, 16, 20);
    const out = await session.run({ image: new ort.Tensor('float32', img.chw, [1, 3, 16, 20]) });
    expect(maxDiff([predictImage(small, img.chw)], out.logits.data as Float32Array)).toBeLessThan(TOLERANCE);
    expect(classifyImage(small, img.chw)).toBe('bird');
  });
});

describe('brokenModels', () => {
  it('are well-formed ONNX files that onnxruntime refuses, saying why', async () => {
    const broken = brokenModels();
    const expected: Record<keyof typeof broken, RegExp> = {
      unknownOp: /No Op registered for NoSuchOp/,
      badOpset: /Opset 99 is under development.*till opset 26/s,
      shapeMismatch: /Incompatible dimensions for matrix multiplication/,
    };
    for (const [name, bytes] of Object.entries(broken) as [keyof typeof broken, Uint8Array][]) {
      expect(() => readModelInfo(bytes, `${name}.onnx`)).not.toThrow();
      await expect(ort.InferenceSession.create(bytes), name).rejects.toThrow(expected[name]);
    }
  });
});
