import type { Predictor } from './predictor.js';
import { TrafficRouter, type VariantPlan, type VariantRole } from './router.js';
import { LatencyHistogram } from './variant-stats.js';

/** Mirrored requests a shadow may have waiting; past this, requests are not mirrored (counted as skipped). */
export const MAX_SHADOW_PENDING = 64;

/** One served model of a rollout: its plan, its current predictor (replaced on a hot swap), its statistics. */
export class Variant {
  /** Null until loaded. Replaced atomically by swap(). */
  predictor: Predictor | null = null;
  readonly latency = new LatencyHistogram();
  /** Routed variants: requests answered and 5xx among them. */
  requests = 0;
  errors = 0;
  /** Shadows: mirrored runs waiting or running, answered, failed, not mirrored; rows compared and agreed. */
  pending = 0;
  answered = 0;
  failed = 0;
  skipped = 0;
  compared = 0;
  agreed = 0;

  constructor(readonly plan: VariantPlan) {}

  get name(): string {
    return this.plan.name;
  }

  get isShadow(): boolean {
    return this.plan.role === 'shadow';
  }

  /** Counts a routed request that this variant answered. */
  observe(ms: number, status: number): void {
    this.requests++;
    if (status >= 500) this.errors++;
    this.latency.record(ms);
  }

  /**
   * Puts a new predictor in place: requests that start from now on use it, requests already holding the
   * old one finish on it, and the old one is released once the last of them is done.
   */
  swap(next: Predictor): Promise<void> {
    const old = this.predictor;
    this.predictor = next;
    return old ? old.retire() : Promise.resolve();
  }
}

export interface VariantReport {
  name: string;
  role: VariantRole;
  uri: string;
  model: string | null;
  version: number | null;
  weight: number;
  share: number;
  requests: number;
  errors: number;
  /** Of all routed requests, the fraction this variant answered (null before any). */
  observed_share: number | null;
  latency_ms: { p50: number | null; p90: number | null; p99: number | null };
  /** Shadows only. */
  mirrored?: { answered: number; failed: number; skipped: number };
  agreement?: { compared: number; agreed: number; rate: number | null };
}

/** The variants of one `mlx serve`: the routed ones (primary first) and the shadows. */
export class VariantSet {
  readonly all: Variant[];
  readonly routed: Variant[];
  readonly shadows: Variant[];
  readonly primary: Variant;
  private readonly router: TrafficRouter | null;

  constructor(plans: VariantPlan[], random?: () => number) {
    this.all = plans.map((p) => new Variant(p));
    this.routed = this.all.filter((v) => !v.isShadow);
    this.shadows = this.all.filter((v) => v.isShadow);
    this.primary = this.routed[0];
    // One routed variant: no hashing, no draw, nothing per request.
    this.router =
      this.routed.length > 1
        ? new TrafficRouter(
            this.routed.map((v) => v.plan.share),
            random,
          )
        : null;
  }

  /** True when one model answers every request: routing then costs nothing. */
  get single(): boolean {
    return this.router === null;
  }

  /** The routed variant for a request with this route key (or none). */
  pick(routeKey?: string | null): Variant {
    return this.router ? this.routed[this.router.pick(routeKey)] : this.primary;
  }

  /** True once every variant has a predictor. */
  get loaded(): boolean {
    return this.all.every((v) => v.predictor !== null);
  }

  /** What GET /variants answers. */
  report(): VariantReport[] {
    const total = this.routed.reduce((n, v) => n + v.requests, 0);
    return this.all.map((v) => {
      const model = v.predictor?.model;
      const base: VariantReport = {
        name: v.name,
        role: v.plan.role,
        uri: v.plan.uri,
        model: model?.name ?? null,
        version: model?.version ?? null,
        weight: v.plan.weight,
        share: v.plan.share,
        requests: v.isShadow ? v.answered + v.failed : v.requests,
        errors: v.isShadow ? v.failed : v.errors,
        observed_share: v.isShadow || total === 0 ? null : v.requests / total,
        latency_ms: v.latency.percentiles(),
      };
      if (!v.isShadow) return base;
      return {
        ...base,
        mirrored: { answered: v.answered, failed: v.failed, skipped: v.skipped },
        agreement: { compared: v.compared, agreed: v.agreed, rate: v.compared ? v.agreed / v.compared : null },
      };
    });
  }
}
