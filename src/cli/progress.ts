/** A progress line on stderr: only on a terminal, and only once the work has taken over a second. */
export class Progress {
  private readonly started = Date.now();
  private last = 0;
  private shown = false;
  constructor(private readonly unit: string) {}

  update(done: number, fraction: number | null): void {
    if (!process.stderr.isTTY) return;
    const now = Date.now();
    if (now - this.started < 1000 || now - this.last < 100) return;
    this.last = now;
    this.shown = true;
    const secs = (now - this.started) / 1000;
    const rate = done / secs;
    let line = `${done.toLocaleString('en-US')} ${this.unit}  ${Math.round(rate).toLocaleString('en-US')} ${this.unit}/s`;
    if (fraction !== null && fraction > 0) {
      const width = 24;
      const filled = Math.min(width, Math.round(fraction * width));
      const left = Math.max(0, secs / fraction - secs);
      line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${line}  ETA ${Math.floor(left / 60)}:${String(Math.round(left % 60)).padStart(2, '0')}`;
    }
    process.stderr.write(`\r${line}\x1b[K`);
  }

  done(): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
  }
}
