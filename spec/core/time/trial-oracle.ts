// A plain single-threaded oracle of what jobs/trial.ts emits, from Flink's event-time semantics as README states
// them: records in their order, each record's watermark right after it, the final watermark at the end. Written
// without any of the engine's code.
//
// Windows: a window fires when the watermark reaches its maxTimestamp (end - 1, at most the top of event time), fires again for each record added
// while the watermark is past it but not past end - 1 + lateness, and goes at end - 1 + lateness; a record none of
// whose windows takes it, and with floor(ts) + lateness <= watermark, is late. Sessions merge on insertion (windows that
// overlap or touch), and only a new window that merges with nothing can be late. Timers fire when the watermark
// reaches them, in order, with currentWatermark() the watermark that fired them; one registered while firing and
// already due fires in the same advance; a deleted one does not fire. Interval join: a record with ts < watermark
// is late; every pair of records that were not is joined once (README: sluice keeps records 1 ms longer than
// Flink).

import type { Out, TrialEv } from './jobs/trial.js';

export interface TrialParams { size: number; slide: number; gap: number; lateness: number; delay: number; follow: number; lo: number; hi: number }

const MAX_WATERMARK = Number.MAX_SAFE_INTEGER;
const maxTs = (end: number): number => Math.min(end - 1, MAX_WATERMARK);
const floorTo = (ts: number, n: number): number => ts - (((ts % n) + n) % n);

interface W { s: number; e: number; ids: number[]; pending: boolean }

class Windows {
  private readonly byKey = new Map<string, W[]>();
  constructor(
    private readonly name: string,
    private readonly assign: ((ts: number) => [number, number][]) | undefined,
    private readonly gap: number,
    private readonly lateness: number,
    private readonly out: Out[],
  ) {}

  private fire(key: string, w: W): void { this.out.push([this.name, key, w.s, w.e, [...w.ids].sort((a, b) => a - b), maxTs(w.e)]); }

  element(key: string, id: number, ts: number, wm: number): boolean {
    let list = this.byKey.get(key);
    if (!list) this.byKey.set(key, (list = []));
    const L = this.lateness;
    let added = false;
    const take = (w: W): void => {
      added = true;
      w.ids.push(id);
      if (maxTs(w.e) <= wm) { w.pending = false; this.fire(key, w); } else w.pending = true;
    };
    if (this.assign) {
      for (const [s, e] of this.assign(ts)) {
        if (Math.min(maxTs(e) + L, MAX_WATERMARK) <= wm) continue;
        let w = list.find((x) => x.s === s && x.e === e);
        if (!w) list.push((w = { s, e, ids: [], pending: false }));
        take(w);
      }
    } else {
      let ms = ts;
      let me = ts + this.gap;
      const hits: W[] = [];
      for (let grew = true; grew;) {
        grew = false;
        for (const x of list) {
          if (!hits.includes(x) && x.s <= me && x.e >= ms) { hits.push(x); ms = Math.min(ms, x.s); me = Math.max(me, x.e); grew = true; }
        }
      }
      if (hits.length === 0) {
        if (!(Math.min(maxTs(me) + L, MAX_WATERMARK) <= wm)) { const w: W = { s: ms, e: me, ids: [], pending: false }; list.push(w); take(w); }
      } else {
        const w: W = { s: ms, e: me, ids: hits.flatMap((h) => h.ids), pending: false };
        for (const h of hits) list.splice(list.indexOf(h), 1);
        list.push(w);
        take(w);
      }
    }
    // Floored (README): window bounds are whole ms, so a record at 9.7 is late at watermark 9 for [0, 10).
    return added || !(Math.min(Math.floor(ts) + L, MAX_WATERMARK) <= wm);
  }

  advance(wm: number): void {
    for (const [key, list] of this.byKey) {
      for (const w of [...list]) {
        if (w.pending && maxTs(w.e) <= wm) { w.pending = false; this.fire(key, w); }
        if (Math.min(maxTs(w.e) + this.lateness, MAX_WATERMARK) <= wm) list.splice(list.indexOf(w), 1);
      }
    }
  }
}

/** Every output of jobs/trial.ts for `events` (a multiset: compare sorted). */
export function trialOracle(events: readonly TrialEv[], p: TrialParams): Out[] {
  const out: Out[] = [];
  const sessions = new Windows('session', undefined, p.gap, p.lateness, out);
  const tumbling = new Windows('tumbling', (ts) => { const s = floorTo(ts, p.size); return [[s, s + p.size]]; }, 0, p.lateness, out);
  const sliding = new Windows('sliding-all', (ts) => {
    const r: [number, number][] = [];
    for (let s = floorTo(ts, p.slide); s > ts - p.size; s -= p.slide) r.push([s, s + p.size]);
    return r;
  }, 0, p.lateness, out);
  const sessionAll = new Windows('session-all', undefined, p.gap, p.lateness, out);
  // Timers per key: pending times, and the ids each time fires for (own, and follow-ups).
  const timers = new Map<string, { pending: Set<number>; at: Map<number, number[]>; follow: Map<number, number[]> }>();
  const timersOf = (key: string) => {
    let t = timers.get(key);
    if (!t) timers.set(key, (t = { pending: new Set(), at: new Map(), follow: new Map() }));
    return t;
  };
  let wm = -Infinity;

  const advance = (to: number): void => {
    if (!(to > wm)) return;
    wm = to;
    sessions.advance(wm);
    tumbling.advance(wm);
    sliding.advance(wm);
    sessionAll.advance(wm);
    for (const [key, t] of timers) {
      for (;;) {
        let next = Infinity;
        for (const x of t.pending) if (x < next) next = x;
        if (!(next <= wm)) break;
        t.pending.delete(next);
        const mine = t.at.get(next) ?? [];
        const followed = t.follow.get(next) ?? [];
        t.at.delete(next);
        t.follow.delete(next);
        out.push(['timer', key, next, wm, [...mine].sort((a, b) => a - b), [...followed].sort((a, b) => a - b), next]);
        const asks = mine.filter((id) => id % 4 === 0);
        const then = Math.min(next + p.follow, MAX_WATERMARK);
        if (asks.length > 0 && then > next) {
          t.follow.set(then, [...(t.follow.get(then) ?? []), ...asks]);
          t.pending.add(then);
        }
      }
    }
  };

  for (const e of events) {
    if (e.side === 0) {
      if (!sessions.element(e.key, e.id, e.ts, wm)) out.push(['late-session', e.key, e.id, e.ts]);
      if (!tumbling.element(e.key, e.id, e.ts, wm)) out.push(['late-tumbling', e.key, e.id, e.ts]);
      if (!sliding.element('', e.id, e.ts, wm)) out.push(['late-all', e.key, e.id, e.ts]);
      if (!sessionAll.element('', e.id, e.ts, wm)) out.push(['late-session-all', e.key, e.id, e.ts]);
      if (e.ts <= wm) out.push(['late-process', e.key, e.id, e.ts]);
      else {
        const t = timersOf(e.key);
        const at = Math.min(e.ts + p.delay, MAX_WATERMARK);
        const c = Math.min(...[...t.at.keys()].filter((x) => x !== at));
        if (e.id % 3 === 1 && c !== Infinity) {
          out.push(['cancelled', e.key, c, [...(t.at.get(c) ?? [])].sort((x, y) => x - y), [...(t.follow.get(c) ?? [])].sort((x, y) => x - y), e.ts]);
          t.pending.delete(c);
          t.at.delete(c);
          t.follow.delete(c);
        }
        t.at.set(at, [...(t.at.get(at) ?? []), e.id]);
        t.pending.add(at);
      }
    }
    // The join's watermark is the lower of its two inputs' (the same source's, through two channels): which one
    // it has read further is up to timing, so a record behind the source's watermark may or may not be late there.
    if (e.ts < wm) out.push([e.side === 0 ? 'maybe-late-left' : 'maybe-late-right', e.key, e.id]);
    if (e.wm !== undefined) advance(e.wm);
  }
  advance(MAX_WATERMARK);
  return out;
}

/**
 * The interval join's pairs, given which records it found late (`late`, ids): every pair of the others whose
 * times are within the bounds, once, stamped with the later time. Late records must be behind the source's
 * watermark where they came (`maybe-late-*` of trialOracle).
 */
export function joinOracle(events: readonly TrialEv[], p: TrialParams, late: ReadonlySet<number>): Out[] {
  const out: Out[] = [];
  const buffered: TrialEv[][] = [[], []];
  for (const e of events) {
    if (late.has(e.id)) continue;
    for (const o of buffered[1 - e.side]!) {
      if (o.key !== e.key) continue;
      const [l, r] = e.side === 0 ? [e, o] : [o, e];
      const d = r.ts - l.ts;
      if (d >= p.lo && d <= p.hi) out.push(['join', e.key, l.id, r.id, Math.max(l.ts, r.ts), Math.max(l.ts, r.ts)]);
    }
    buffered[e.side]!.push(e);
  }
  return out;
}

export function canonOut(values: readonly unknown[] | undefined): string[] {
  return (values ?? []).map((v) => JSON.stringify(v)).sort();
}
