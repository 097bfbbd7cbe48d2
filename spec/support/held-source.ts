// A source wrapped to hold back, for specs that drive a job through marker files: each hold [at, file] lets
// records from `at` on (counted over the reader's stride splits: a generator's) through only once `file` exists.
// A hold with no file, or an `at` that is negative or not finite, holds nothing.
import { existsSync } from 'node:fs';
import { SOURCE_WAIT, type SourceSpec } from '../../core/index.js';

export type Hold = readonly [at: number, file: string];

export function heldFrom<T>(spec: SourceSpec<T>, holds: readonly Hold[]): SourceSpec<T> {
  const live = holds.filter(([at, file]) => file !== '' && at >= 0 && at < Infinity);
  if (live.length === 0) return spec;
  return {
    ...spec,
    createReader(...args) {
      const reader = spec.createReader(...args);
      const read = reader.read.bind(reader);
      const ready = reader.ready.bind(reader);
      const readyAt = reader.readyAt?.bind(reader);
      const released = live.map(([, file]) => existsSync(file));
      let holding = false;
      reader.read = (emit, max, invalid) => {
        holding = false;
        for (let i = 0; i < live.length; i++) {
          if (released[i] || (released[i] = existsSync(live[i]![1]))) continue;
          const at = live[i]![0];
          // Records left below `at` in this reader's stride splits.
          const below = reader.snapshot(-1).map((s) => s.position as { next: number; stride: number })
            .reduce((n, pos) => n + Math.max(0, Math.ceil((at - pos.next) / pos.stride)), 0);
          if (below === 0) { holding = true; return SOURCE_WAIT; }
          max = Math.min(max, below);
        }
        return read(emit, max, invalid);
      };
      reader.ready = () => (holding ? new Promise<void>((r) => setTimeout(r, 2)) : ready());
      reader.readyAt = () => (holding ? Number.NaN : readyAt?.() ?? Number.NaN);
      return reader;
    },
  };
}
