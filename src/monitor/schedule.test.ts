import { describe, expect, it } from 'vitest';
import { runSchedule, TriggerGate, type Clock, type Verdict } from './schedule.js';

/** A clock that moves only when slept on (or when a check says it took time). */
function fakeClock(start = 1_000_000) {
  let t = start;
  const clock: Clock & { advance(ms: number): void } = {
    now: () => t,
    sleep: async (ms) => {
      t += ms;
    },
    advance: (ms) => {
      t += ms;
    },
  };
  return clock;
}

describe('runSchedule', () => {
  it('windows end at start, start + every, …; each check runs settle after its window; stops after maxChecks', async () => {
    const clock = fakeClock();
    const seen: [number, number, number][] = [];
    const out = await runSchedule({ every: 60_000, settle: 1000, maxChecks: 3, clock, signal: new AbortController().signal }, async (n, end) => {
      seen.push([n, end - 1_000_000, clock.now() - 1_000_000]);
    });
    expect(out).toBe('done');
    expect(seen).toEqual([
      [1, 0, 1000],
      [2, 60_000, 61_000],
      [3, 120_000, 121_000],
    ]);
  });

  it('a slow check delays the next one; falling a whole period behind skips windows (reported) instead of bursting', async () => {
    const clock = fakeClock(0);
    const ends: number[] = [];
    const skipped: number[] = [];
    await runSchedule({ every: 10, settle: 0, maxChecks: 4, clock, signal: new AbortController().signal, onSkip: (n) => skipped.push(n) }, async (n, end) => {
      ends.push(end);
      if (n === 1) clock.advance(15); // late for window 2, not a whole period
      if (n === 2) clock.advance(36); // now 51: the windows ending at 20, 30 and 40 are past
    });
    expect(ends).toEqual([0, 10, 50, 60]);
    expect(skipped).toEqual([3]);
  });

  it('an abort (SIGINT) stops it between checks', async () => {
    const clock = fakeClock();
    const ac = new AbortController();
    const ran: number[] = [];
    const out = await runSchedule({ every: 1000, settle: 0, clock, signal: ac.signal }, async (n) => {
      ran.push(n);
      if (n === 2) ac.abort();
    });
    expect(out).toBe('stopped');
    expect(ran).toEqual([1, 2]);
  });
});

describe('TriggerGate', () => {
  const run = (verdicts: Verdict[]) => {
    const gate = new TriggerGate();
    return verdicts.map((v) => gate.next(v));
  };

  it('fires once per episode: the first alert, then nothing until a clean window re-arms it', () => {
    expect(run(['clean', 'alert', 'alert', 'alert'])).toEqual([false, true, false, false]);
    expect(run(['alert', 'clean', 'alert'])).toEqual([true, false, true]);
  });

  it('windows without data neither fire nor re-arm', () => {
    expect(run(['alert', 'no-data', 'alert', 'no-data', 'clean', 'no-data', 'alert'])).toEqual(
      [false, false, false, false, false, false, true].map((_, i) => i === 0 || i === 6),
    );
  });
});
