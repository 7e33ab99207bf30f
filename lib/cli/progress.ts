// A progress bar on stderr: on a terminal one line redrawn in place (at most ~10 times a second);
// otherwise (a log file, CI) a few plain lines: the start, each quarter, the end.
import type { Io } from './args';

export class Progress {
  private readonly t0 = process.hrtime.bigint();
  private lastDraw = 0;
  private nextQuarter = 1;
  private drawn = false;
  private finished = false;

  constructor(
    private readonly io: Io,
    private readonly label: string,
    private readonly total: number,
  ) {
    if (!io.errTTY) io.err(`${label}: 0/${total}\n`);
  }

  private elapsed(): number {
    return Number(process.hrtime.bigint() - this.t0) / 1e9;
  }

  update(done: number): void {
    if (this.finished) return;
    const t = this.elapsed();
    if (this.io.errTTY) {
      if (done < this.total && t - this.lastDraw < 0.1) return;
      this.lastDraw = t;
      const width = Math.max(10, Math.min(40, (this.io.columns ?? 80) - this.label.length - 40));
      const frac = this.total > 0 ? Math.min(1, done / this.total) : 1;
      const fill = Math.round(frac * width);
      const eta = done > 0 && done < this.total ? `, ${Math.ceil((t / done) * (this.total - done))} s left` : '';
      this.io.err(`\r\x1b[K${this.label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${done}/${this.total} (${t.toFixed(1)} s${eta})`);
      this.drawn = true;
    } else {
      while (this.nextQuarter < 4 && done * 4 >= this.nextQuarter * this.total && done < this.total) {
        this.io.err(`${this.label}: ${done}/${this.total} (${t.toFixed(1)} s)\n`);
        this.nextQuarter++;
      }
    }
  }

  /** Ends the bar (a final line with the time). */
  done(done = this.total): void {
    if (this.finished) return;
    this.update(done);
    this.finished = true;
    const t = this.elapsed();
    if (this.io.errTTY) this.io.err(`\r\x1b[K${this.label}: ${done}/${this.total} in ${t.toFixed(1)} s\n`);
    else this.io.err(`${this.label}: ${done}/${this.total} in ${t.toFixed(1)} s\n`);
  }

  /** Leaves the bar's line (before an error message). */
  abort(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.io.errTTY && this.drawn) this.io.err('\n');
  }
}
