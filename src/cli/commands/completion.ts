import { Argument, type Command } from 'commander';
import { examples } from '../help.js';

/** `mlx completion bash|zsh|fish`: a completion script generated from the command tree, on stdout. */
export function registerCompletionCommand(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script (bash, zsh or fish) for commands, subcommands and flags')
    .summary('print a shell completion script')
    // The shells are listed here rather than imported: completion.js loads only when the command runs.
    .addArgument(new Argument('<shell>', 'the shell to complete for').choices(['bash', 'zsh', 'fish']))
    .addHelpText(
      'after',
      examples(
        [
          'mlx completion bash > ~/.local/share/bash-completion/completions/mlx',
          'mlx completion zsh > "${fpath[1]}/_mlx"  # then start a new shell',
          'mlx completion fish > ~/.config/fish/completions/mlx.fish',
        ],
        'Or load it into the current shell: source <(mlx completion bash) (zsh: after compinit). Regenerate after upgrading mlx.',
      ),
    )
    .action(async (shell: 'bash' | 'zsh' | 'fish', _opts: unknown, cmd: Command) => {
      const { completionScript } = await import('../completion.js');
      process.stdout.write(completionScript(shell, cmd.parent!));
    });
}
