import path from 'node:path';
import { usage } from '../core/errors.js';
import { mulberry32 } from '../core/random.js';

/**
 * The traffic plan of `mlx serve`: which models answer what share of the requests (canaries,
 * variants), which see every request without answering (shadows), and the router that picks
 * one per request: by a stable hash of X-Mlx-Route-Key when the client sends one, else at random.
 */

export type VariantRole = 'primary' | 'canary' | 'variant' | 'shadow';

export interface VariantPlan {
  /** How headers, /variants, /metrics and the inference log name it. */
  name: string;
  uri: string;
  role: VariantRole;
  /** The weight as given (for the primary in percent mode: what is left of 100); 0 for shadows. */
  weight: number;
  /** The fraction of requests it answers, in [0, 1]; 0 for shadows. */
  share: number;
}

/** A model of a rollout besides the served one, as the user gave it (the CLI parses `[NAME:]URI=WEIGHT`). */
export interface RolloutSpec {
  role: 'canary' | 'variant' | 'shadow';
  /** Given with NAME:, else null (named after its URI). */
  name: string | null;
  uri: string;
  /** Null for shadows. */
  weight: number | null;
}

/** How messages name each role as the user gave it (the CLI's flags: "--canary"). */
export type RoleWords = Record<RolloutSpec['role'], string>;

const ROLE_WORDS: RoleWords = { canary: 'canary', variant: 'variant', shadow: 'shadow' };

export const ROUTE_KEY_HEADER = 'x-mlx-route-key';

/** The variant name a URI gets unless one is given: `clf@champion`, `clf/3`, `RUN/path`, a file's base name. */
export function variantName(uri: string): string {
  if (uri.startsWith('models:/')) return uri.slice('models:/'.length);
  if (uri.startsWith('runs:/')) return uri.slice('runs:/'.length).replace(/\/+$/, '');
  return path.basename(uri.replace(/[/\\]+$/, '')).replace(/\.onnx$/i, '') || uri;
}

/**
 * Plans the variants. Percent mode (the served URI is not among the variants): canary and variant
 * weights are percentages of all requests, each at most 100 and together at most 100; the served
 * model answers the rest. Relative mode (the served URI is also given as a variant): every weight
 * is relative, share = weight / sum of weights; canaries are refused there. `words` name the roles
 * in messages as the user gave them.
 */
export function planVariants(mainUri: string, specs: RolloutSpec[] = [], words: RoleWords = ROLE_WORDS): VariantPlan[] {
  const withFlag = <T extends RolloutSpec>(v: T) => ({ ...v, flag: words[v.role] });
  const canaries = specs.filter((v) => v.role === 'canary').map(withFlag);
  const variants = specs.filter((v) => v.role === 'variant').map(withFlag);
  const shadows = specs.filter((v) => v.role === 'shadow').map(withFlag);
  const mainListed = variants.find((v) => v.uri === mainUri);
  const others = [...canaries, ...variants.filter((v) => v !== mainListed)];
  let plans: VariantPlan[];
  if (mainListed) {
    if (canaries.length)
      throw usage(
        `${words.canary} with the served model also given as ${words.variant} ${mainListed.uri}: use ${words.variant} for every model (relative weights) or ${words.canary} alone (percentages)`,
      );
    const sum = variants.reduce((s, v) => s + v.weight!, 0);
    if (sum <= 0) throw usage(`the ${words.variant} weights are all 0; give at least one a positive weight`);
    plans = [
      { name: mainListed.name ?? variantName(mainUri), uri: mainUri, role: 'primary', weight: mainListed.weight!, share: mainListed.weight! / sum },
      ...others.map((v) => ({ name: v.name ?? variantName(v.uri), uri: v.uri, role: v.role, weight: v.weight!, share: v.weight! / sum })),
    ];
  } else {
    for (const v of others) if (v.weight! > 100) throw usage(`${v.flag} ${v.uri}=${v.weight}: a weight is a percentage of the requests, at most 100`);
    const sum = others.reduce((s, v) => s + v.weight!, 0);
    if (sum > 100 + 1e-9)
      throw usage(
        `the ${others.map((v) => `${v.flag} ${v.uri}=${v.weight}`).join(', ')} weights add up to ${round(sum)}%, over 100%; the served model answers what is left of 100`,
      );
    const rest = Math.max(0, 100 - sum);
    plans = [
      { name: variantName(mainUri), uri: mainUri, role: 'primary', weight: round(rest), share: rest / 100 },
      ...others.map((v) => ({ name: v.name ?? variantName(v.uri), uri: v.uri, role: v.role, weight: v.weight!, share: v.weight! / 100 })),
    ];
  }
  for (const s of shadows) {
    if (s.uri === mainUri) throw usage(`${words.shadow} ${s.uri} is the model being served; shadow a different model`);
    const routed = plans.find((p) => p.uri === s.uri);
    if (routed) throw usage(`${words.shadow} ${s.uri} already answers requests as ${routed.role} ${routed.name}; a model is either routed or a shadow`);
    plans.push({ name: s.name ?? variantName(s.uri), uri: s.uri, role: 'shadow', weight: 0, share: 0 });
  }
  checkUnique(plans, words);
  return plans;
}

function checkUnique(plans: VariantPlan[], words: RoleWords): void {
  const uris = new Set<string>();
  const names = new Set<string>();
  for (const p of plans) {
    if (uris.has(p.uri))
      throw usage(`${p.uri} is given twice; each model is served once (as the main model, a ${words.canary}, a ${words.variant} or a ${words.shadow})`);
    if (names.has(p.name))
      throw usage(
        `two served models are both named "${p.name}"; name one with NAME:URI, e.g. ${words.variant} blue:${p.uri}${p.role === 'shadow' ? '' : `=${p.weight}`}`,
      );
    uris.add(p.uri);
    names.add(p.name);
  }
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;

/** FNV-1a over the key's UTF-8 bytes, then murmur3's fmix32 so that similar keys spread: a stable 32-bit hash. */
export function hashKey(key: string): number {
  const bytes = Buffer.from(key, 'utf8');
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A key's point in [0, 1): where it falls among the cumulative shares decides its variant. */
export function keyPoint(key: string): number {
  return hashKey(key) / 4294967296;
}

/** A seeded generator of numbers in [0, 1) (mulberry32), for reproducible routing in tests. */
export const seededRandom = mulberry32;

/** Picks an index by shares: the same route key always gets the same index; without one, a random draw. */
export class TrafficRouter {
  private readonly cumulative: number[];

  constructor(
    shares: number[],
    private readonly random: () => number = seededRandom((Math.random() * 2 ** 32) >>> 0),
  ) {
    const total = shares.reduce((a, b) => a + b, 0);
    if (!(total > 0)) throw usage('the routing weights are all 0');
    let acc = 0;
    this.cumulative = shares.map((s) => (acc += s / total));
    // The last positive share ends at exactly 1, so rounding can never leave a point unassigned.
    let last = shares.length - 1;
    while (shares[last] === 0) last--;
    for (let i = last; i < shares.length; i++) this.cumulative[i] = 1;
  }

  /** The index of the variant for a request (its route key, if it has one). */
  pick(routeKey?: string | null): number {
    const u = routeKey ? keyPoint(routeKey) : this.random();
    const c = this.cumulative;
    for (let i = 0; i < c.length; i++) if (u < c[i]) return i;
    return c.length - 1;
  }
}
