import type { ModelSignature, TensorSpec } from '../core/entities.js';
import { invalid } from '../core/errors.js';

export type ColorMode = 'rgb' | 'bgr' | 'gray';
export type Layout = 'nchw' | 'nhwc';
export type ResizeMode = 'stretch' | 'cover' | 'contain';
export type SoftmaxMode = 'auto' | 'yes' | 'no';

export interface ImageSpec {
  kind: 'image';
  width: number;
  height: number;
  color: ColorMode;
  /** Multiplies each 0..255 pixel value before mean/std. */
  scale: number;
  mean: number[];
  std: number[];
  layout: Layout;
  resize: ResizeMode;
  softmax: SoftmaxMode;
}

export interface TabularSpec {
  kind: 'tabular';
  softmax: SoftmaxMode;
}

export type PreprocessSpec = ImageSpec | TabularSpec;

export const SPEC_GRAMMAR =
  'tabular[,softmax=auto|yes|no] or image:WIDTHxHEIGHT[,rgb|bgr|gray][,scale=1/255][,mean=a/b/c][,std=a/b/c][,layout=nchw|nhwc][,resize=stretch|cover|contain][,softmax=auto|yes|no]';

function bad(text: string, why: string): Error {
  return invalid(`preprocessing spec ${JSON.stringify(text)}: ${why}; the grammar is ${SPEC_GRAMMAR}`);
}

function num(text: string, what: string, spec: string): number {
  const frac = /^([0-9.]+)\/([0-9.]+)$/.exec(what);
  const v = frac ? Number(frac[1]) / Number(frac[2]) : Number(what);
  if (!Number.isFinite(v) || what.trim() === '') throw bad(spec, `${JSON.stringify(what)} is not a number`);
  return v;
}

/** Parses a preprocessing spec such as the seed's `image:224x224,rgb,scale=1/255,mean=0.485/0.456/0.406,std=0.229/0.224/0.225,layout=nchw`. */
export function parsePreprocessSpec(text: string): PreprocessSpec {
  const t = text.trim();
  const [head, ...opts] = t.split(',').map((s) => s.trim());
  const softmaxOf = (v: string) => {
    if (v !== 'auto' && v !== 'yes' && v !== 'no') throw bad(t, `softmax=${v} must be auto, yes or no`);
    return v as SoftmaxMode;
  };
  if (head === 'tabular') {
    const spec: TabularSpec = { kind: 'tabular', softmax: 'auto' };
    for (const o of opts) {
      const [k, v] = o.split('=');
      if (k === 'softmax' && v !== undefined) spec.softmax = softmaxOf(v);
      else throw bad(t, `unknown option ${JSON.stringify(o)} for tabular`);
    }
    return spec;
  }
  const size = /^image:(\d+)x(\d+)$/.exec(head ?? '');
  if (!size) throw bad(t, 'it must start with "tabular" or "image:WIDTHxHEIGHT"');
  const spec: ImageSpec = {
    kind: 'image',
    width: Number(size[1]),
    height: Number(size[2]),
    color: 'rgb',
    scale: 1 / 255,
    mean: [],
    std: [],
    layout: 'nchw',
    resize: 'stretch',
    softmax: 'auto',
  };
  if (spec.width < 1 || spec.height < 1 || spec.width > 8192 || spec.height > 8192) throw bad(t, 'width and height must be 1 to 8192');
  for (const o of opts) {
    if (o === 'rgb' || o === 'bgr' || o === 'gray') {
      spec.color = o;
      continue;
    }
    const eq = o.indexOf('=');
    const [k, v] = eq < 0 ? [o, ''] : [o.slice(0, eq), o.slice(eq + 1)];
    if (k === 'scale') spec.scale = num(v, v, t);
    else if (k === 'mean') spec.mean = v.split('/').map((x) => num(x, x, t));
    else if (k === 'std') spec.std = v.split('/').map((x) => num(x, x, t));
    else if (k === 'layout' && (v === 'nchw' || v === 'nhwc')) spec.layout = v;
    else if (k === 'resize' && (v === 'stretch' || v === 'cover' || v === 'contain')) spec.resize = v;
    else if (k === 'softmax') spec.softmax = softmaxOf(v);
    else throw bad(t, `unknown option ${JSON.stringify(o)}`);
  }
  const channels = spec.color === 'gray' ? 1 : 3;
  if (spec.mean.length === 0) spec.mean = Array(channels).fill(0);
  if (spec.std.length === 0) spec.std = Array(channels).fill(1);
  if (spec.mean.length !== channels || spec.std.length !== channels)
    throw bad(t, `mean and std need ${channels} value${channels > 1 ? 's' : ''} for ${spec.color}`);
  if (spec.std.some((s) => s === 0)) throw bad(t, 'std values must not be 0');
  return spec;
}

function fmt(n: number): string {
  const inv = 1 / n;
  if (n > 0 && n < 1 && Math.abs(inv - Math.round(inv)) < 1e-9) return `1/${Math.round(inv)}`;
  return String(n);
}

/** The canonical text of a spec, as stored with a model version. */
export function formatPreprocessSpec(spec: PreprocessSpec): string {
  if (spec.kind === 'tabular') return spec.softmax === 'auto' ? 'tabular' : `tabular,softmax=${spec.softmax}`;
  const parts = [`image:${spec.width}x${spec.height}`, spec.color, `scale=${fmt(spec.scale)}`];
  if (spec.mean.some((m) => m !== 0)) parts.push(`mean=${spec.mean.join('/')}`);
  if (spec.std.some((s) => s !== 1)) parts.push(`std=${spec.std.join('/')}`);
  parts.push(`layout=${spec.layout}`);
  if (spec.resize !== 'stretch') parts.push(`resize=${spec.resize}`);
  if (spec.softmax !== 'auto') parts.push(`softmax=${spec.softmax}`);
  return parts.join(',');
}

const FLOATS = new Set(['float32', 'float64', 'float16']);

function shapeText(t: TensorSpec): string {
  return `[${t.shape.join(',')}]`;
}

/** Throws unless the spec fits the model's first input (rank, element type, channels, size). */
export function checkSpecFits(spec: PreprocessSpec, signature: ModelSignature, specText: string): void {
  const input = signature.inputs[0];
  const misfit = (why: string) =>
    invalid(
      `preprocessing spec ${JSON.stringify(specText)} does not fit input ${JSON.stringify(input?.name)} ${input ? `${input.type} ${shapeText(input)}` : ''}: ${why}`,
    );
  if (!input) throw invalid('the model has no inputs');
  if (!FLOATS.has(input.type)) throw misfit('the input is not a float tensor');
  if (spec.kind === 'tabular') {
    if (input.shape.length !== 2) throw misfit('tabular models take a 2-D input [batch, features]');
    return;
  }
  if (input.shape.length !== 4) throw misfit(`image models take a 4-D input [batch, ${spec.layout === 'nchw' ? 'C, H, W' : 'H, W, C'}]`);
  const [c, h, w] = spec.layout === 'nchw' ? [input.shape[1], input.shape[2], input.shape[3]] : [input.shape[3], input.shape[1], input.shape[2]];
  const channels = spec.color === 'gray' ? 1 : 3;
  if (c !== -1 && c !== channels) throw misfit(`${spec.color} has ${channels} channel${channels > 1 ? 's' : ''} but the ${spec.layout} input has ${c}`);
  if (h !== -1 && h !== spec.height) throw misfit(`height ${spec.height} is not the input's ${h}`);
  if (w !== -1 && w !== spec.width) throw misfit(`width ${spec.width} is not the input's ${w}`);
}

/** A sensible spec read off the input shape: 2-D floats are tabular, 4-D with 1 or 3 channels an image; else none. */
export function inferPreprocessSpec(signature: ModelSignature): PreprocessSpec | null {
  const input = signature.inputs[0];
  if (!input || !FLOATS.has(input.type)) return null;
  if (input.shape.length === 2) return { kind: 'tabular', softmax: 'auto' };
  if (input.shape.length !== 4) return null;
  const [, a, b, c] = input.shape;
  const image = (layout: Layout, ch: number, h: number, w: number): ImageSpec | null =>
    h > 0 && w > 0
      ? {
          kind: 'image',
          width: w,
          height: h,
          color: ch === 1 ? 'gray' : 'rgb',
          scale: 1 / 255,
          mean: Array(ch).fill(0),
          std: Array(ch).fill(1),
          layout,
          resize: 'stretch',
          softmax: 'auto',
        }
      : null;
  if (a === 1 || a === 3) return image('nchw', a, b, c);
  if (c === 1 || c === 3) return image('nhwc', c, a, b);
  return null;
}
