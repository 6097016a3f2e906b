import { MlxError } from '../core/errors.js';
import type { SinkOptions } from './inference-log.js';

// What every sink applies the same way, whatever keeps its rows: which requests the sample rate
// logs (feedback for the others is counted as unsampled, not unknown), and the options' bounds.

/** FNV-1a of the request id as a fraction in [0, 1): the same id always gets the same draw. */
export function sampleDraw(requestId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < requestId.length; i++) h = Math.imul(h ^ requestId.charCodeAt(i), 0x01000193);
  return (h >>> 0) / 4294967296;
}

/** Whether a request is logged at this sample rate. */
export function isSampled(requestId: string, rate: number): boolean {
  return rate >= 1 || sampleDraw(requestId) < rate;
}

/** Checks --sample-rate and --log-max-rows as serving passes them. */
export function checkLogOptions(o: Pick<SinkOptions, 'sampleRate' | 'maxRows'>): void {
  if (!(o.sampleRate >= 0 && o.sampleRate <= 1)) throw new MlxError('USAGE', `the sample rate ${o.sampleRate} must be a number from 0 to 1`);
  if (!Number.isSafeInteger(o.maxRows) || o.maxRows < 1) throw new MlxError('USAGE', `the most rows kept, ${o.maxRows}, must be a whole number of at least 1`);
}
