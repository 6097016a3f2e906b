import { escapeControlChars } from '../../core/control-chars.js';
import type { BatchPredictSummary, OnError } from '../../serving/batch-predict.js';

const count = (n: number, noun: string) => `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;

/**
 * `mlx predict`'s closing lines on stderr (stdout may hold the predictions): what was predicted,
 * and with --on-error skip|null how many were not and the first of them, one line each, so a
 * folder of 2,001 images with one corrupt file says which file.
 */
export function printPredictSummary(s: BatchPredictSummary, noun: 'row' | 'image', onError: OnError): void {
  const rate = s.seconds > 0 ? Math.round(s.rows / s.seconds).toLocaleString('en-US') : '-';
  const lines: string[] = [];
  if (s.failed > 0) {
    for (const f of s.failures) lines.push(`mlx: ${onError === 'skip' ? 'skipped' : 'error row'}: ${escapeControlChars(f.message)}`);
    if (s.failed > s.failures.length) lines.push(`mlx: … and ${(s.failed - s.failures.length).toLocaleString('en-US')} more`);
  }
  const failed = s.failed > 0 ? `; ${count(s.failed, noun)} ${onError === 'skip' ? 'skipped' : 'written as error rows'}` : '';
  lines.push(`mlx: predicted ${count(s.rows, noun)} in ${s.seconds.toFixed(2)} s (${rate}/s)${failed}${s.output ? ` → ${s.output}` : ''}`);
  process.stderr.write(`${lines.join('\n')}\n`);
}
