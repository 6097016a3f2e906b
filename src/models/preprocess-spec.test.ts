import { describe, expect, it } from 'vitest';
import type { ModelSignature } from '../core/entities.js';
import { checkSpecFits, formatPreprocessSpec, inferPreprocessSpec, parsePreprocessSpec } from './preprocess-spec.js';

const SEED = 'image:224x224,rgb,scale=1/255,mean=0.485/0.456/0.406,std=0.229/0.224/0.225,layout=nchw';
const sig = (shape: number[], type = 'float32'): ModelSignature => ({
  inputs: [{ name: 'x', type, shape }],
  outputs: [{ name: 'y', type: 'float32', shape: [-1, 5] }],
});

describe('preprocessing specs', () => {
  it("parses the seed's torchvision pipeline and formats it back", () => {
    const s = parsePreprocessSpec(SEED);
    expect(s).toMatchObject({ kind: 'image', width: 224, height: 224, color: 'rgb', layout: 'nchw', mean: [0.485, 0.456, 0.406] });
    expect((s as { scale: number }).scale).toBeCloseTo(1 / 255, 15);
    expect(formatPreprocessSpec(s)).toBe(SEED);
    expect(formatPreprocessSpec(parsePreprocessSpec('image:32x16,gray,layout=nhwc,resize=cover'))).toBe(
      'image:32x16,gray,scale=1/255,layout=nhwc,resize=cover',
    );
    expect(parsePreprocessSpec('tabular')).toEqual({ kind: 'tabular', softmax: 'auto' });
    expect(formatPreprocessSpec(parsePreprocessSpec('tabular,softmax=no'))).toBe('tabular,softmax=no');
  });

  it('explains bad specs with the grammar', () => {
    expect(() => parsePreprocessSpec('picture:3x3')).toThrow(/must start with "tabular" or "image:WIDTHxHEIGHT".*grammar/);
    expect(() => parsePreprocessSpec('image:224x224,mean=0.5/0.5')).toThrow(/need 3 values for rgb/);
    expect(() => parsePreprocessSpec('image:224x224,scale=abc')).toThrow(/"abc" is not a number/);
    expect(() => parsePreprocessSpec('image:224x224,std=1/0/1')).toThrow(/std values must not be 0/);
    expect(() => parsePreprocessSpec('image:224x224,layout=chw')).toThrow(/unknown option "layout=chw"/);
    expect(() => parsePreprocessSpec('tabular,rgb')).toThrow(/unknown option "rgb" for tabular/);
  });

  it('checks a spec against the model input', () => {
    expect(() => checkSpecFits(parsePreprocessSpec(SEED), sig([-1, 3, 224, 224]), SEED)).not.toThrow();
    expect(() => checkSpecFits(parsePreprocessSpec(SEED), sig([-1, 3, -1, -1]), SEED)).not.toThrow();
    expect(() => checkSpecFits(parsePreprocessSpec(SEED), sig([-1, 3, 32, 32]), SEED)).toThrow(/height 224 is not the input's 32/);
    expect(() => checkSpecFits(parsePreprocessSpec('image:32x32,gray'), sig([-1, 3, 32, 32]), 'image:32x32,gray')).toThrow(
      /gray has 1 channel but the nchw input has 3/,
    );
    expect(() => checkSpecFits(parsePreprocessSpec('tabular'), sig([-1, 3, 32, 32]), 'tabular')).toThrow(/2-D input/);
    expect(() => checkSpecFits(parsePreprocessSpec(SEED), sig([-1, 5]), SEED)).toThrow(/4-D input/);
    expect(() => checkSpecFits(parsePreprocessSpec('tabular'), sig([-1, 5], 'int64'), 'tabular')).toThrow(/not a float tensor/);
  });

  it('infers a spec from the input shape', () => {
    expect(inferPreprocessSpec(sig([-1, 5]))?.kind).toBe('tabular');
    expect(formatPreprocessSpec(inferPreprocessSpec(sig([-1, 3, 32, 48]))!)).toBe('image:48x32,rgb,scale=1/255,layout=nchw');
    expect(formatPreprocessSpec(inferPreprocessSpec(sig([1, 64, 64, 1]))!)).toBe('image:64x64,gray,scale=1/255,layout=nhwc');
    expect(inferPreprocessSpec(sig([-1, 3, -1, -1]))).toBeNull();
    expect(inferPreprocessSpec(sig([-1, 10, 20]))).toBeNull();
  });
});
