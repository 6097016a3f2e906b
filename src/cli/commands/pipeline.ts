import type { Command } from 'commander';
import { registerDagCommand } from './dag.js';
import { registerReproCommand } from './repro.js';

/** The pipeline commands: `mlx repro` and `mlx dag` (mlx.yaml, mlx.lock). */
export function registerPipelineCommands(program: Command): void {
  registerReproCommand(program);
  registerDagCommand(program);
}
