import type { InferenceLog } from '../inference-log/inference-log.js';
import { runCheck, type CheckResult, type MonitorConfig } from './check.js';
import { runSchedule, TriggerGate, type Clock } from './schedule.js';

export interface MonitorDeps {
  log: InferenceLog;
  clock: Clock;
  /** Aborted by SIGINT / SIGTERM: the check under way finishes, then the monitor stops. */
  signal: AbortSignal;
  /** Shows a check (printing, or collecting in tests). */
  emit(result: CheckResult): void;
  /** Records a check in the monitoring run (absent without --log-to-run). */
  record?(result: CheckResult): Promise<void>;
  /** The retraining command for an alerting check; resolves with its exit code (absent without --on-drift). */
  trigger?(result: CheckResult): Promise<number>;
  warn(line: string): void;
}

export interface MonitorSummary {
  outcome: 'done' | 'stopped';
  checks: number;
  alerts: number;
  triggers: number;
}

/**
 * Checks the logged traffic of the model on a schedule (see runSchedule), fires the trigger by
 * TriggerGate's rule, and records every check. The trigger runs beside the schedule, so a long
 * retraining does not delay checks; while it runs, a new firing is reported and not started.
 * Waits for a running trigger before returning.
 */
export async function runMonitor(cfg: MonitorConfig, sched: { every: number; maxChecks?: number; settle: number }, deps: MonitorDeps): Promise<MonitorSummary> {
  const gate = new TriggerGate();
  const summary: MonitorSummary = { outcome: 'done', checks: 0, alerts: 0, triggers: 0 };
  let running: Promise<void> | null = null;
  /** Starts the trigger for a check (marking it triggered) unless one is still running. */
  const fire = (result: CheckResult, trigger: (r: CheckResult) => Promise<number>): void => {
    if (running) {
      deps.warn(`check ${result.check}: ${result.reasons.join('; ')}; the --on-drift command from an earlier check is still running, not starting another`);
      return;
    }
    summary.triggers++;
    result.triggered = true;
    running = Promise.resolve()
      .then(() => trigger(result))
      .then((code) => {
        if (code !== 0) deps.warn(`check ${result.check}: the --on-drift command exited with ${code}`);
      })
      .catch((err: Error) => deps.warn(`check ${result.check}: ${err.message}`))
      .finally(() => {
        running = null;
      });
  };
  summary.outcome = await runSchedule(
    {
      ...sched,
      clock: deps.clock,
      signal: deps.signal,
      onSkip: (n) => deps.warn(`skipped ${n} check${n === 1 ? '' : 's'}: the previous one took longer than --every`),
    },
    async (n, end) => {
      const result = await runCheck(deps.log, cfg, n, end);
      summary.checks++;
      if (result.verdict === 'alert') summary.alerts++;
      if (gate.next(result.verdict) && deps.trigger) fire(result, deps.trigger);
      await deps.record?.(result);
      deps.emit(result);
    },
  );
  while (running) await running;
  return summary;
}
