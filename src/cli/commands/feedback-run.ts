import type { Command } from 'commander';
import { MlxError } from '../../core/errors.js';
import { readTextFile } from '../../core/file-errors.js';
import { parseFeedbackText } from '../../inference-log/feedback-items.js';
import { inferenceLogOf } from '../../store/inference-log-of.js';
import { withStore } from '../context.js';
import { print, printJson } from '../output.js';
import { postFeedback, serverUrl } from './feedback-post.js';

/** Unknown request ids shown to people; --json lists them all. */
const SHOW = 10;

async function readInput(file: string): Promise<string> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  return readTextFile(file, `file ${JSON.stringify(file)}`);
}

export interface FeedbackFlags {
  json?: boolean;
  server?: string;
  token?: string;
}

/** Reads and checks every item, then joins them all in one transaction: in the local store, or on a model server (--server). */
export async function runFeedback(file: string, f: FeedbackFlags, cmd: Command): Promise<void> {
  if (f.token !== undefined && f.server === undefined)
    throw new MlxError('USAGE', "--token is the token of a model server: add --server URL (mlx serve's address)");
  const server = f.server === undefined ? undefined : serverUrl(f.server);
  const items = await parseFeedbackText(await readInput(file), file === '-' ? 'stdin' : file);
  const result = server
    ? await postFeedback(server, items, f.token ?? (process.env.MLX_SERVE_TOKEN || undefined))
    : // Without a store there is nothing to join to: every id is unknown and nothing is created.
      await withStore(cmd, false, async (store) => (await inferenceLogOf(store)).feedback(items));
  if (f.json) {
    printJson({ items: items.length, matched: result.matched, unknown_count: result.unknown.length, unknown: result.unknown });
    return;
  }
  print(`${result.matched} of ${items.length} feedback items joined to logged predictions`);
  if (result.unknown.length) {
    const shown = result.unknown.slice(0, SHOW).join(', ');
    const more = result.unknown.length > SHOW ? `, and ${result.unknown.length - SHOW} more (--json lists them all)` : '';
    print(`${result.unknown.length} unknown request ids (not logged, or deleted by retention): ${shown}${more}`);
  }
}
