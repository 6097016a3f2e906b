/** Time as the monitor sees it: injectable, so the schedule is tested without waiting. */
export interface Clock {
  now(): number;
  /** Resolves after ms, or as soon as the signal aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, Math.max(0, ms));
      signal.addEventListener('abort', done, { once: true });
    }),
};

/** What a check saw: an alert (drift, or a score past its bound), a clean window, or too little to judge. */
export type Verdict = 'alert' | 'clean' | 'no-data';

/**
 * The retraining trigger's rule: it fires on the first alerting window, then stays quiet until
 * a later window has been judged clean; windows with too little data change nothing. So one
 * drift episode, however many windows it lasts, runs the command once.
 */
export class TriggerGate {
  private armed = true;

  /** Whether this check's verdict fires the trigger. */
  next(verdict: Verdict): boolean {
    if (verdict === 'clean') this.armed = true;
    if (verdict !== 'alert' || !this.armed) return false;
    this.armed = false;
    return true;
  }

  get isArmed(): boolean {
    return this.armed;
  }
}

export interface ScheduleOptions {
  /** Time between checks (ms). */
  every: number;
  /** Stop after this many checks (default: until the signal aborts). */
  maxChecks?: number;
  /** How long after its window ends a check runs, so the server's buffered rows have landed (ms). */
  settle: number;
  clock: Clock;
  signal: AbortSignal;
  /** Told when checks were skipped because one ran longer than --every. */
  onSkip?: (skipped: number) => void;
}

/**
 * Runs check(n, at) for n = 1, 2, …: the first window ends when the schedule starts and each
 * later one --every after the previous, so back-to-back windows of length --every tile time.
 * A check runs `settle` after its window ends. When checks fall behind by a whole period or
 * more, the missed windows are skipped (and reported) rather than run in a burst.
 * Resolves 'done' after maxChecks, 'stopped' when the signal aborts.
 */
export async function runSchedule(o: ScheduleOptions, check: (n: number, windowEnd: number) => Promise<void>): Promise<'done' | 'stopped'> {
  const start = o.clock.now();
  let slot = 0;
  for (let n = 1; o.maxChecks === undefined || n <= o.maxChecks; n++) {
    const end = start + slot * o.every;
    const wait = end + o.settle - o.clock.now();
    if (wait > 0) await o.clock.sleep(wait, o.signal);
    if (o.signal.aborted) return 'stopped';
    await check(n, end);
    if (o.signal.aborted) return 'stopped';
    slot++;
    const due = Math.floor((o.clock.now() - o.settle - start) / o.every);
    if (due > slot) {
      o.onSkip?.(due - slot);
      slot = due;
    }
  }
  return 'done';
}
