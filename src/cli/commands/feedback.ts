import type { Command } from 'commander';
import { examples } from '../help.js';

/** `mlx feedback FILE|-`: joins labels that arrived later to the predictions `mlx serve --log-inputs` logged. */
export function registerFeedbackCommand(program: Command): void {
  program
    .command('feedback <file>')
    .description('join true labels to logged predictions by request id: CSV (request_id,label) or JSON lines; - for stdin')
    .summary('join true labels to logged predictions')
    .option('--json', 'print {matched, unknown, unknown_count, items} as JSON')
    .addHelpText('after', examples([
      'mlx feedback labels.csv  # header: request_id,label',
      'cat labels.jsonl | mlx feedback - --json',
    ]))
    .action(async (file: string, f: { json?: boolean }, cmd: Command) => {
      const { runFeedback } = await import('./feedback-run.js');
      await runFeedback(file, f, cmd);
    });
}
