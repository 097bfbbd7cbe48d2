// The events of the window and join jobs, shared by the job modules (every thread) and the tests' oracles:
// record i depends only on (seed, i), so a test rebuilds exactly what the job's generator emits.
//
// Event time: ts = t + pause * floor(t / burstMs) - shift with t = floor(i * step) and 0 <= shift < bound, so a
// record is never more than bound - 1 behind any earlier one; every burstMs of time, a pause of PAUSE_MS (so
// sessions end and windows stay small). Jobs use a watermark bound of `bound`: no record is ever late, and a window whose end
// the watermark passed can never be touched again (not even by a session window starting at its end).

import { SplitRandom, type Random } from '../../../../core/connectors/generator.js';

export interface Ev { id: number; key: string; v: number; ts: number }

export interface EventParams { seed: number; n: number; keys: number; step: number; bound: number; burstMs: number }

/** Longer than any session gap plus bound the tests use: sessions always end at a pause. */
export const PAUSE_MS = 100;

export function eventParams(q: URLSearchParams, prefix = ''): EventParams {
  const num = (name: string, dflt: number): number => Number(q.get(prefix + name) ?? dflt);
  return { seed: num('seed', 1), n: num('n', 2000), keys: num('keys', 4), step: num('step', 1), bound: num('bound', 10), burstMs: num('burstMs', 0) };
}

export function eventFn(p: EventParams): (i: number, r: Random) => Ev {
  return (i, r) => {
    const t = Math.floor(i * p.step);
    return { id: i, key: `k${r.int(p.keys)}`, v: r.int(100), ts: t + (p.burstMs > 0 ? PAUSE_MS * Math.floor(t / p.burstMs) : 0) - r.int(p.bound) };
  };
}

/** Every event of a generator with these parameters, in index order (the oracles' input). */
export function allEvents(p: EventParams): Ev[] {
  const r = new SplitRandom();
  const fn = eventFn(p);
  return Array.from({ length: p.n }, (_, i) => fn(i, r.reset(p.seed, i)));
}
