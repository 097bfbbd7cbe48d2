// Runs on: main thread. Progress of long CLI work (restoring or verifying checkpoint chunks): a bar redrawn in
// place on a terminal, a plain line every few seconds otherwise (logs and CI output stay readable).

/** `[██████░░░░]`: `fraction` of `width` cells filled. */
export function bar(fraction: number, width = 20): string {
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const full = Math.round(f * width);
  return `[${'█'.repeat(full)}${'░'.repeat(width - full)}]`;
}

export interface Progress {
  /** `done` of `total` units, with a detail shown after the percentage. */
  update(done: number, total: number, detail?: string): void;
  /** Removes the bar (a terminal) and prints `line` if given. */
  end(line?: string): void;
}

const TTY_REDRAW_MS = 100;
const PLAIN_EVERY_MS = 5000;

export function progress(label: string, out: NodeJS.WriteStream = process.stderr): Progress {
  const tty = out.isTTY === true;
  // Never drawn yet: not 0, which a process younger than TTY_REDRAW_MS would still be within.
  let last = -Infinity;
  let drawn = false;
  return {
    update(done, total, detail = '') {
      const now = performance.now();
      const every = tty ? TTY_REDRAW_MS : PLAIN_EVERY_MS;
      // The first update on a plain stream waits a full period: short work prints nothing but its end line.
      if (!tty && last === -Infinity) last = now;
      if (now - last < every && done < total) return;
      if (!tty && done >= total) return;
      last = now;
      const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
      const text = `${label} ${tty ? `${bar(total > 0 ? done / total : 1)} ` : ''}${pct}%${detail ? ` ${detail}` : ''}`;
      if (tty) {
        out.write(`\r\x1b[K${text.slice(0, Math.max(0, (out.columns || 80) - 1))}`);
        drawn = true;
      } else {
        out.write(`${text}\n`);
      }
    },
    end(line) {
      if (drawn) out.write('\r\x1b[K');
      drawn = false;
      if (line !== undefined) out.write(`${line}\n`);
    },
  };
}
