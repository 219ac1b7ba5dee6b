/** A one-line terminal progress bar; prints plain lines instead when stdout is not a terminal. */
export class ProgressBar {
  private lastPlain = -1;
  constructor(
    private readonly label: string,
    private readonly write: (s: string) => void = (s) => process.stdout.write(s),
    private readonly interactive: boolean = process.stdout.isTTY === true,
  ) {}

  update(fraction: number, detail = ''): void {
    const f = Math.max(0, Math.min(1, fraction));
    const pct = Math.round(f * 100);
    if (this.interactive) {
      const width = 28;
      const filled = Math.round(f * width);
      this.write(`\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${detail}\x1b[K`);
    } else if (pct >= this.lastPlain + 10 || pct === 100) {
      // Non-interactive output (CI logs, pipes) gets a line per 10 %, not a carriage-return storm.
      this.lastPlain = pct;
      this.write(`${this.label} ${pct}% ${detail}\n`);
    }
  }

  done(detail = ''): void {
    this.update(1, detail);
    if (this.interactive) this.write('\n');
  }
}
