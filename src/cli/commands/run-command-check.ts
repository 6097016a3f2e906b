import type { Command } from 'commander';
import { checkCommand } from '../../app/external-command.js';
import { MlxError } from '../../core/errors.js';

/**
 * `mlx run list` (meant `mlx runs list`) used to create a FAILED run: the command to wrap is
 * looked up on PATH first, and a missing one is refused before any run exists, suggesting the
 * mlx command it looks like (a subcommand of a group, the group named like `run` first). Returns
 * the refusal's message, or null when the command is there; the caller exits 127 as a shell does.
 */
export function missingCommand(command: string[], runCmd: Command): string | null {
  try {
    checkCommand(command[0]);
    return null;
  } catch (err) {
    if (!(err instanceof MlxError)) throw err;
    const hint = mlxLookalike(command, runCmd.parent);
    return `command not found: ${command[0]}${hint ? `; did you mean \`${hint}\`?` : ''} (no run was created)`;
  }
}

function mlxLookalike(command: string[], program: Command | null): string | null {
  if (!program) return null;
  const [word, ...rest] = command;
  const top = program.commands;
  const args = rest.length ? ` ${rest.join(' ')}` : '';
  if (top.some((c) => c.name() === word)) return `mlx ${word}${args}`;
  const groups = top.filter((c) => c.commands.some((s) => s.name() === word));
  const group = groups.find((g) => g.name().startsWith('run')) ?? groups[0];
  return group ? `mlx ${group.name()} ${word}${args}` : null;
}
