import type { Command } from 'commander';
import { examples } from '../help.js';
import type { FeedbackFlags } from './feedback-run.js';

/** `mlx feedback FILE|-`: joins labels that arrived later to the predictions `mlx serve --log-inputs` logged. */
export function registerFeedbackCommand(program: Command): void {
  program
    .command('feedback <file>')
    .description('join true labels to logged predictions by request id: CSV (request_id,label) or JSON lines; - for stdin')
    .summary('join true labels to logged predictions')
    .option('--json', 'print {matched, unknown, unknown_count, items} as JSON')
    .option('--server <url>', 'post the labels to a running mlx serve --log-inputs (its POST /feedback) instead of the local store')
    .option('--token <token>', 'with --server: the token the model server was started with (default: MLX_SERVE_TOKEN)')
    .addHelpText(
      'after',
      examples([
        'mlx feedback labels.csv  # header: request_id,label',
        'cat labels.jsonl | mlx feedback - --json',
        'mlx feedback labels.csv --server http://ml-api.internal:8000  # token from MLX_SERVE_TOKEN',
      ]),
    )
    .action(async (file: string, f: FeedbackFlags, cmd: Command) => {
      const { runFeedback } = await import('./feedback-run.js');
      await runFeedback(file, f, cmd);
    });
}
