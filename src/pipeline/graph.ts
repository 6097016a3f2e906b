import fs from 'node:fs';
import path from 'node:path';
import { invalid, notFound } from '../core/errors.js';
import { overlaps, within } from './paths.js';
import type { Pipeline, Stage } from './spec.js';
import { PIPELINE_FILE } from './spec.js';

export interface Graph {
  /** In dependency order (declaration order among independent stages). */
  stages: Stage[];
  byName: Map<string, Stage>;
  /** Stage name → the stages it depends on (whose outputs it reads). */
  upstream: Map<string, string[]>;
  downstream: Map<string, string[]>;
}

/** Everything a stage writes: its outputs and its metrics files. */
export const outputsOf = (s: Stage): string[] => [...s.outs.map((o) => o.path), ...s.metrics];

/**
 * The stages as a graph, refusing before anything runs: two stages declaring the same (or an
 * overlapping) output, a stage reading its own output, a dep that neither exists nor is any
 * stage's output, and cycles, each naming the stages.
 */
export function buildGraph(p: Pipeline, opts: { checkDeps?: boolean } = {}): Graph {
  const byName = new Map(p.stages.map((s) => [s.name, s]));
  const producers: { path: string; stage: Stage }[] = [];
  for (const s of p.stages)
    for (const out of outputsOf(s)) {
      const clash = producers.find((x) => overlaps(x.path, out));
      if (clash && clash.stage !== s)
        throw invalid(
          `${PIPELINE_FILE}: stages ${clash.stage.name} and ${s.name} both declare the output ${clash.path === out ? out : `${clash.path} (and ${out})`}; one stage must own it`,
        );
      if (clash) throw invalid(`${PIPELINE_FILE}: stage ${s.name} declares overlapping outputs ${clash.path} and ${out}`);
      producers.push({ path: out, stage: s });
    }
  const upstream = new Map<string, string[]>();
  const downstream = new Map<string, string[]>(p.stages.map((s) => [s.name, []]));
  for (const s of p.stages) {
    const ups = new Set<string>();
    const inputs = [...s.deps, ...new Set(s.params.map((r) => r.file))];
    for (const dep of inputs) {
      const from = producers.filter((x) => overlaps(x.path, dep));
      for (const x of from) {
        if (x.stage === s)
          throw invalid(`${PIPELINE_FILE}: stage ${s.name} declares ${dep} as a dep and ${x.path} as its output; a stage cannot read what it writes`);
        ups.add(x.stage.name);
      }
      if (from.length === 0 && opts.checkDeps !== false && s.deps.includes(dep) && !fs.existsSync(path.join(p.root, dep)))
        throw notFound(`${PIPELINE_FILE}: stage ${s.name} depends on ${dep}, which does not exist and is no stage's output; create it or fix the path`);
    }
    upstream.set(s.name, [...ups]);
    for (const u of ups) downstream.get(u)!.push(s.name);
  }
  return { stages: topoSort(p.stages, upstream), byName, upstream, downstream };
}

function topoSort(stages: Stage[], upstream: Map<string, string[]>): Stage[] {
  const state = new Map<string, 'visiting' | 'done'>();
  const order: Stage[] = [];
  const byName = new Map(stages.map((s) => [s.name, s]));
  const visit = (s: Stage, trail: string[]) => {
    const st = state.get(s.name);
    if (st === 'done') return;
    if (st === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(s.name)), s.name];
      throw invalid(`${PIPELINE_FILE}: the stages form a cycle: ${cycle.join(' -> ')}; a stage cannot depend on its own outputs, even through others`);
    }
    state.set(s.name, 'visiting');
    for (const u of upstream.get(s.name) ?? []) visit(byName.get(u)!, [...trail, s.name]);
    state.set(s.name, 'done');
    order.push(s);
  };
  for (const s of stages) visit(s, []);
  return order;
}

/**
 * The stages `mlx repro TARGET` covers: the target (a stage, or every stage of a foreach group)
 * and everything upstream of it, in order; all stages without a target.
 */
export function selectStages(g: Graph, target: string | undefined, opts: { single?: boolean; downstream?: boolean } = {}): Stage[] {
  if (target === undefined) return g.stages;
  const roots = g.byName.has(target) ? [target] : g.stages.filter((s) => s.group === target).map((s) => s.name);
  if (roots.length === 0) {
    const names = [...new Set(g.stages.map((s) => s.group ?? s.name))];
    throw notFound(`no stage ${JSON.stringify(target)} in ${PIPELINE_FILE}; its stages are ${names.join(', ')}`);
  }
  if (opts.single) return g.stages.filter((s) => roots.includes(s.name));
  const keep = new Set<string>();
  const edges = opts.downstream ? g.downstream : g.upstream;
  const walk = (n: string) => {
    if (keep.has(n)) return;
    keep.add(n);
    for (const u of edges.get(n) ?? []) walk(u);
  };
  roots.forEach(walk);
  return g.stages.filter((s) => keep.has(s.name));
}

/** The upstream stages whose outputs hold a dep (for messages). */
export function producerOf(g: Graph, dep: string): Stage | undefined {
  return g.stages.find((s) => outputsOf(s).some((o) => within(dep, o) || within(o, dep)));
}
