import type { Command } from 'commander';
import { examples } from '../help.js';
import type { DagCliOptions } from './dag-run.js';

/** `mlx dag [STAGE]`: the stages of mlx.yaml and what feeds what. */
export function registerDagCommand(program: Command): void {
  program
    .command('dag')
    .description('print the graph of the stages in mlx.yaml: text, Graphviz (--dot) or Mermaid (--mermaid)')
    .summary('show the pipeline graph')
    .argument('[stage]', 'only this stage (or foreach group) and the stages upstream of it')
    .option('--dot', 'Graphviz DOT (`mlx dag --dot | dot -Tsvg > dag.svg`)')
    .option('--mermaid', 'a Mermaid flowchart (GitHub renders it in Markdown)')
    .option('--json', 'stages and edges as one JSON document')
    .addHelpText('after', examples(['mlx dag train', 'mlx dag --dot | dot -Tsvg > dag.svg', 'mlx dag --mermaid >> README.md']))
    .action(async (stage: string | undefined, opts: DagCliOptions) => {
      const { dagAction } = await import('./dag-run.js');
      dagAction(stage, opts);
    });
}
