// Runs on: the main thread of `sluice run` on a terminal. The live status line, redrawn in place at the bottom of
// stderr, and kept off the lines others write: whatever goes to stdout or stderr meanwhile (print sinks, whose
// worker output is piped through this thread's streams, a job's console.log) first clears it, so the line is
// never glued onto theirs; the next redraw puts it back below them.

import type { Writable } from 'node:stream';

type Write = Writable['write'];

/** Carriage return, then erase to the end of the line. */
const CLEAR = '\r\x1b[K';

export class LiveLine {
  private drawn = false;
  private readonly restores: (() => void)[] = [];
  private readonly write: (text: string) => void;

  /** `line`: where the line is drawn; `others`: streams sharing its terminal (stdout). */
  constructor(line: Writable, others: readonly Writable[] = []) {
    const own = line.write.bind(line) as (text: string) => void;
    this.write = own;
    for (const s of [line, ...others]) {
      const original = s.write;
      const wrapped = ((...args: Parameters<Write>) => {
        if (this.drawn) { this.drawn = false; own(CLEAR); }
        return original.apply(s, args);
      }) as Write;
      s.write = wrapped;
      // Only if nobody replaced it since (a --json run diverts stdout's write before the line starts).
      this.restores.push(() => { if (s.write === wrapped) s.write = original; });
    }
  }

  /** Draws `text` in place of the line. */
  draw(text: string): void {
    this.write(`${CLEAR}${text}`);
    this.drawn = true;
  }

  /** Clears the line and gives the streams their own writes back. */
  stop(): void {
    if (this.drawn) { this.drawn = false; this.write(CLEAR); }
    for (const r of this.restores.splice(0)) r();
  }
}
