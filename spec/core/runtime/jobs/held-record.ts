// A record whose `i` is a getter that a structured clone reads (a post to the main thread): it writes the file
// `read` first (when given), then waits until the file `release` exists (bounded: 60 s, then it throws).
import { existsSync, writeFileSync } from 'node:fs';

export interface HeldRecord { i: number; held?: true }

export function heldRecord(i: number, files: { release: string; read?: string | null }): HeldRecord {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  return Object.defineProperty({ held: true } as HeldRecord, 'i', {
    enumerable: true,
    get() {
      if (files.read) writeFileSync(files.read, '');
      const until = Date.now() + 60_000;
      while (!existsSync(files.release)) {
        if (Date.now() > until) throw new Error(`${files.release} not written within 60 s`);
        Atomics.wait(pause, 0, 0, 5);
      }
      return i;
    },
  });
}
