import type { ModelSignature, ModelVersion, TensorSpec } from '../core/entities.js';
import { parseModelUri } from '../core/uri.js';
import type { ServedModel } from './model-runtime.js';
import type { Variant } from './variant-set.js';

/** A served variant whose URI can move: models:/NAME@ALIAS or models:/NAME/latest. */
export interface WatchTarget {
  variant: Variant;
  model: string;
  alias: string | null;
}

export type SwapResult = 'done' | 'refused' | 'failed';

export interface SwapDeps {
  /** The version the target's URI points to now. */
  resolve(t: WatchTarget): Promise<ModelVersion>;
  /** Loads and warms that version beside the one serving. */
  load(t: WatchTarget, v: ModelVersion): Promise<ServedModel>;
  /** Puts the loaded model in place of the serving one (which is released once its requests are done). */
  install(variant: Variant, model: ServedModel): void;
  /** One line for stderr. */
  log(line: string): void;
  count(variant: Variant, result: SwapResult): void;
}

/** The variants whose URIs use an alias (or `latest`), which a watcher re-resolves. */
export function watchTargets(variants: Variant[]): WatchTarget[] {
  const out: WatchTarget[] = [];
  for (const variant of variants) {
    const ref = parseModelUri(variant.plan.uri);
    if (ref.kind !== 'registry') continue;
    if ('alias' in ref.selector) out.push({ variant, model: ref.name, alias: ref.selector.alias });
    else if ('latest' in ref.selector) out.push({ variant, model: ref.name, alias: null });
  }
  return out;
}

const show = (ts: TensorSpec[]) => ts.map((t) => `${t.name} ${t.type} [${t.shape.join(', ')}]`).join(', ') || 'none';
const byName = (ts: TensorSpec[]) => [...ts].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
const same = (a: TensorSpec, b: TensorSpec) =>
  a.name === b.name && a.type === b.type && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);

/** How two signatures differ (input or output names, types, shapes), or null when they are the same. */
export function signatureDiff(serving: ModelSignature, next: ModelSignature, where: [string, string] = ['now', 'there']): string | null {
  for (const kind of ['inputs', 'outputs'] as const) {
    const a = byName(serving[kind]);
    const b = byName(next[kind]);
    if (a.length !== b.length || a.some((t, i) => !same(t, b[i]))) return `its ${kind} differ: ${show(a)} ${where[0]}, ${show(b)} ${where[1]}`;
  }
  return null;
}

/**
 * Re-resolves aliases every intervalMs (and on check(), for SIGHUP). When one moved: loads and warms the
 * new version beside the old, refuses it if its signature differs, else swaps it in. A refused or failed
 * version is not tried again until the alias moves elsewhere (or a forced check, e.g. SIGHUP).
 */
export class ModelWatcher {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private forced = false;
  private stopped = false;
  private readonly refusedKey = new Map<Variant, string>();
  private readonly lastError = new Map<Variant, string>();

  constructor(
    readonly targets: WatchTarget[],
    private readonly deps: SwapDeps,
    private readonly intervalMs: number,
  ) {}

  /** Starts the periodic checks (none when the interval is 0). */
  start(): void {
    if (this.stopped || this.intervalMs <= 0 || this.targets.length === 0) return;
    this.timer = setTimeout(() => void this.check().finally(() => this.start()), this.intervalMs);
    this.timer.unref();
  }

  /** Checks every target now (after the check under way, if any); force retries refused versions. */
  check(force = false): Promise<void> {
    if (force) this.forced = true;
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        const f = this.forced;
        this.forced = false;
        for (const t of this.targets) if (!this.stopped) await this.checkOne(t, f);
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Stops checking; waits for a check under way (a model it loads meanwhile is released, not installed). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => {});
  }

  private async checkOne(t: WatchTarget, force: boolean): Promise<void> {
    const { variant } = t;
    const current = variant.predictor?.model;
    if (!current) return;
    const was = `version ${current.version}`;
    let v: ModelVersion;
    try {
      v = await this.deps.resolve(t);
    } catch (err) {
      const why = oneLine(err);
      if (this.lastError.get(variant) !== why) this.deps.log(`${variant.name}: cannot re-resolve ${variant.plan.uri}: ${why}; ${was} keeps serving`);
      this.lastError.set(variant, why);
      return;
    }
    this.lastError.delete(variant);
    if (v.version === current.version) {
      this.refusedKey.delete(variant);
      return;
    }
    const key = `${v.version}:${v.sha256}`;
    if (!force && this.refusedKey.get(variant) === key) return;
    const give = (result: SwapResult, line: string) => {
      this.refusedKey.set(variant, key);
      this.deps.log(line);
      this.deps.count(variant, result);
    };
    const moved = `${variant.plan.uri} moved to version ${v.version}`;
    // The registry records each version's signature: refuse before loading anything when it differs.
    const known = v.signature && v.signature.inputs.length > 0 ? signatureDiff(current.signature, v.signature) : null;
    if (known) return give('refused', `${variant.name}: ${moved}: swap refused, ${known}; ${was} keeps serving`);
    let model: ServedModel;
    try {
      model = await this.deps.load(t, v);
    } catch (err) {
      return give('failed', `${variant.name}: ${moved}: swap failed, cannot load it: ${oneLine(err)}; ${was} keeps serving`);
    }
    const diff = signatureDiff(current.signature, model.signature);
    if (this.stopped || diff) {
      await model.release().catch(() => {});
      if (diff) give('refused', `${variant.name}: ${moved}: swap refused, ${diff}; ${was} keeps serving`);
      return;
    }
    this.deps.install(variant, model);
    this.refusedKey.delete(variant);
    this.deps.log(`${variant.name}: ${moved}: swapped ${was} for version ${v.version} (loaded in ${model.loadSeconds.toFixed(2)} s)`);
    this.deps.count(variant, 'done');
  }
}

const oneLine = (err: unknown) => String((err as Error)?.message ?? err).split('\n')[0];
