import { buildGraph, outputsOf, selectStages, type Graph } from '../../pipeline/graph.js';
import { overlaps } from '../../pipeline/paths.js';
import { findPipelineRoot, loadPipeline, type Stage } from '../../pipeline/spec.js';
import { refuseFlags } from '../flags.js';
import { print, printJson } from '../output.js';

export interface DagCliOptions {
  dot?: boolean;
  mermaid?: boolean;
  json?: boolean;
}

interface Edge {
  from: string;
  to: string;
  /** The paths the downstream stage reads from the upstream one. */
  paths: string[];
}

/** Prints the graph of mlx.yaml (the selected part of it) in the format asked for. */
export function dagAction(target: string | undefined, opts: DagCliOptions): void {
  if (opts.dot)
    refuseFlags(
      [
        ['--mermaid', opts.mermaid],
        ['--json', opts.json],
      ],
      'cannot go with --dot: pick one format',
    );
  else if (opts.mermaid) refuseFlags([['--json', opts.json]], 'cannot go with --mermaid: pick one format');
  const pipeline = loadPipeline(findPipelineRoot(process.cwd()));
  const graph = buildGraph(pipeline, { checkDeps: false });
  const stages = selectStages(graph, target);
  const edges = edgesOf(graph, stages);
  if (opts.json)
    return printJson({
      stages: stages.map((s) => ({ name: s.name, cmd: s.cmd, deps: s.deps, outs: s.outs.map((o) => o.path), metrics: s.metrics, params: s.params })),
      edges,
    });
  if (opts.dot) return print(dot(stages, edges));
  if (opts.mermaid) return print(mermaid(stages, edges));
  print(text(graph, stages));
}

function edgesOf(g: Graph, stages: Stage[]): Edge[] {
  const names = new Set(stages.map((s) => s.name));
  return stages.flatMap((s) =>
    (g.upstream.get(s.name) ?? [])
      .filter((u) => names.has(u))
      .map((u) => {
        const outs = outputsOf(g.byName.get(u)!);
        return { from: u, to: s.name, paths: [...s.deps, ...s.params.map((p) => p.file)].filter((d) => outs.some((o) => overlaps(o, d))) };
      }),
  );
}

/** DOT quoted string: quotes and backslashes escaped, so no name can end the string. */
const dq = (s: string) => `"${s.replace(/[\\"]/g, '\\$&')}"`;

export function dot(stages: Stage[], edges: Edge[]): string {
  const lines = ['digraph pipeline {', '  rankdir=TB;', '  node [shape=box];'];
  for (const s of stages) lines.push(`  ${dq(s.name)};`);
  for (const e of edges) lines.push(`  ${dq(e.from)} -> ${dq(e.to)} [label=${dq(e.paths.join('\\n'))}];`);
  lines.push('}');
  return lines.join('\n');
}

export function mermaid(stages: Stage[], edges: Edge[]): string {
  const id = new Map(stages.map((s, i) => [s.name, `s${i}`]));
  // Stage names are letters, digits, _ - . @: nothing Mermaid reads as syntax inside quotes.
  const lines = ['flowchart TD', ...stages.map((s) => `  ${id.get(s.name)}["${s.name}"]`)];
  for (const e of edges) lines.push(`  ${id.get(e.from)} --> ${id.get(e.to)}`);
  return lines.join('\n');
}

/** A tree from each stage nothing feeds; a stage reached twice is shown once, then "(above)". */
function text(g: Graph, stages: Stage[]): string {
  const names = new Set(stages.map((s) => s.name));
  const down = (n: string) => (g.downstream.get(n) ?? []).filter((d) => names.has(d));
  const roots = stages.filter((s) => !(g.upstream.get(s.name) ?? []).some((u) => names.has(u)));
  const shown = new Set<string>();
  const lines: string[] = [];
  const walk = (n: string, indent: string, last: boolean, top: boolean) => {
    const again = shown.has(n) && down(n).length > 0;
    lines.push(`${top ? '' : `${indent}${last ? '└─> ' : '├─> '}`}${n}${again ? ' (above)' : ''}`);
    if (again) return;
    shown.add(n);
    const kids = down(n);
    const next = top ? '' : `${indent}${last ? '    ' : '│   '}`;
    kids.forEach((k, i) => walk(k, next, i === kids.length - 1, false));
  };
  for (const r of roots) walk(r.name, '', true, true);
  return lines.join('\n');
}
