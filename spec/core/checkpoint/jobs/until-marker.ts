// A test source that runs until a marker file appears, so a test can let a job run until it has seen what it
// waits for (checkpoints, backpressure) and then end it, with no sleep and no guess at timing. Record i of
// source `offset` is offset + i; splits and positions are the generator's (stride splits), so it rewinds.
import { existsSync } from 'node:fs';
import { SOURCE_END, SOURCE_MORE, SOURCE_WAIT, type SourceSpec, type SourceSplit } from '../../../../core/index.js';
import { checkStrideSplit, strideSplits } from '../../../../core/connectors/generator.js';

export function untilMarker(marker: string, offset: number, ratePerSec: number): SourceSpec<number> {
  return {
    kind: 'test-until-marker',
    fingerprint: `test-until-marker(${marker},${offset},${ratePerSec})`,
    maxParallelism: Number.MAX_SAFE_INTEGER,
    bounded: false,
    rewindable: true,
    enumerateSplits: (p) => strideSplits(p),
    createReader(_subtask, parallelism, splits) {
      const ps = splits.map((s) => ({ id: s.id, ...checkStrideSplit(s, 'until-marker') }));
      const perSec = ratePerSec / parallelism;
      const started = performance.now();
      let emitted = 0;
      let checked = 0;
      let ended = false;
      return {
        read(emit, max) {
          if (ended || ps.length === 0) return ended || existsSync(marker) ? SOURCE_END : SOURCE_WAIT;
          const now = performance.now();
          if (now - checked > 20) { checked = now; if (existsSync(marker)) { ended = true; return SOURCE_END; } }
          const due = Math.min(max, Math.floor(((now - started) / 1000) * perSec) - emitted);
          if (due <= 0) return SOURCE_WAIT;
          for (let k = 0; k < due; k++) {
            const p = ps[(emitted + k) % ps.length]!;
            emit(offset + p.next);
            p.next += p.stride;
          }
          emitted += due;
          return SOURCE_MORE;
        },
        ready: () => new Promise((r) => setTimeout(r, 2)),
        snapshot: (): SourceSplit[] => ps.map((p) => ({ id: p.id, position: { start: p.start, stride: p.stride, next: p.next } })),
      };
    },
  };
}

/**
 * Checks the ids of one such source in a ledger: its subtasks stop at different points, so each residue class
 * (mod the source's parallelism, the stride of its splits) must hold every id from its first up to its highest
 * seen, exactly once.
 */
export function contiguous(ids: readonly number[], offset: number, span: number, stride: number): { lost: number; duplicated: number; count: number } {
  const mine = ids.filter((i) => i >= offset && i < offset + span).map((i) => i - offset);
  const max = new Array<number>(stride).fill(-1);
  for (const i of mine) if (i > max[i % stride]!) max[i % stride] = i;
  let top = -1;
  for (const m of max) if (m > top) top = m;
  const seen = new Uint8Array(top + 1);
  let duplicated = 0;
  for (const i of mine) { if (seen[i]) duplicated++; seen[i] = 1; }
  let lost = 0;
  for (let c = 0; c < stride; c++) for (let i = c; i <= max[c]!; i += stride) if (!seen[i]) lost++;
  return { lost, duplicated, count: mine.length };
}
