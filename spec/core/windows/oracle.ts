// Plain single-threaded oracles for the window and join tests: what a job computes over its whole (sorted)
// input when no record is late, written without any of the engine's code.

import type { Ev } from './jobs/events.js';

export type WindowKind = 'tumbling' | 'sliding' | 'session';
export interface WindowParams { size: number; slide: number; gap: number }
export interface OracleWindow<E> { key: string; start: number; end: number; events: E[] }

function floorTo(ts: number, size: number): number {
  return ts - (((ts % size) + size) % size);
}

/** The windows of one kind over `events` (grouped by key), each with its events. */
export function windowsOf<E extends { key: string; ts: number }>(kind: WindowKind, p: WindowParams, events: readonly E[]): OracleWindow<E>[] {
  const byKey = new Map<string, E[]>();
  for (const e of events) {
    let list = byKey.get(e.key);
    if (!list) byKey.set(e.key, (list = []));
    list.push(e);
  }
  const out: OracleWindow<E>[] = [];
  for (const [key, list] of byKey) {
    if (kind === 'session') {
      const sorted = [...list].sort((x, y) => x.ts - y.ts);
      let cur: OracleWindow<E> | undefined;
      for (const e of sorted) {
        // Windows [ts, ts + gap) merge when they overlap or touch.
        if (cur && e.ts <= cur.end) {
          cur.events.push(e);
          cur.end = Math.max(cur.end, e.ts + p.gap);
        } else {
          cur = { key, start: e.ts, end: e.ts + p.gap, events: [e] };
          out.push(cur);
        }
      }
      continue;
    }
    const windows = new Map<number, OracleWindow<E>>();
    for (const e of list) {
      const starts: number[] = [];
      if (kind === 'tumbling') starts.push(floorTo(e.ts, p.size));
      else for (let s = floorTo(e.ts, p.slide); s > e.ts - p.size; s -= p.slide) starts.push(s);
      for (const s of starts) {
        let w = windows.get(s);
        if (!w) windows.set(s, (w = { key, start: s, end: s + p.size, events: [] }));
        w.events.push(e);
      }
    }
    out.push(...windows.values());
  }
  return out;
}

export type Computation = 'reduce' | 'aggregate' | 'process' | 'reduceFn' | 'aggregateFn';

/** What each computation of jobs/windowed.ts emits for one window. */
export function windowResult(c: Computation, w: OracleWindow<Ev>): unknown {
  const ids = w.events.map((e) => e.id);
  const sum = w.events.reduce((s, e) => s + e.v, 0);
  switch (c) {
    case 'reduce': return { id: Math.min(...ids), key: w.key, v: sum, ts: Math.max(...w.events.map((e) => e.ts)) };
    case 'aggregate': return [w.key, w.events.length, sum, Math.min(...w.events.map((e) => e.ts))];
    case 'process': return [w.key, w.start, w.end, ids.sort((x, y) => x - y)];
    case 'reduceFn': return [w.key, w.start, w.end, sum];
    case 'aggregateFn': return [w.key, w.start, w.end, w.events.length, sum];
  }
}

/** The windows over both sides' records together (a two-input window operator's), each record tagged with its side. */
function twoSidedWindows(kind: WindowKind, p: WindowParams, left: readonly Ev[], right: readonly Ev[]) {
  return windowsOf(kind, p, [...left.map((e) => ({ ...e, side: 0 })), ...right.map((e) => ({ ...e, side: 1 }))]);
}

/** Window join: every (left, right) pair with equal keys in each window over both sides' records together. */
export function windowJoin(kind: WindowKind, p: WindowParams, left: readonly Ev[], right: readonly Ev[]): [number, number][] {
  const out: [number, number][] = [];
  for (const w of twoSidedWindows(kind, p, left, right)) {
    for (const l of w.events) if (l.side === 0) for (const r of w.events) if (r.side === 1) out.push([l.id, r.id]);
  }
  return out;
}

/** Window coGroup: per key and window, each side's ids, sorted (one side may be empty). */
export function windowCoGroup(kind: WindowKind, p: WindowParams, left: readonly Ev[], right: readonly Ev[]): [number[], number[]][] {
  const ids = (evs: readonly (Ev & { side: number })[], side: number) => evs.filter((e) => e.side === side).map((e) => e.id).sort((x, y) => x - y);
  return twoSidedWindows(kind, p, left, right).map((w) => [ids(w.events, 0), ids(w.events, 1)]);
}

/** Interval join: pairs with equal keys and right.ts - left.ts in [lo, hi], with the larger timestamp. */
export function intervalJoin(lo: number, hi: number, left: readonly Ev[], right: readonly Ev[]): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (const l of left) for (const r of right) {
    if (l.key === r.key && r.ts - l.ts >= lo && r.ts - l.ts <= hi) out.push([l.id, r.id, Math.max(l.ts, r.ts)]);
  }
  return out;
}

/** A multiset of results as sorted JSON lines: equal iff the same results the same number of times. */
export function canon(values: readonly unknown[] | undefined): string[] {
  return (values ?? []).map((v) => JSON.stringify(v)).sort();
}

/**
 * Flink's window semantics with allowed lateness, simulated record by record in arrival order with the
 * watermark each record carries (emitted right after it, as the timestamps operator does): a window fires when the watermark passes its end, fires
 * again for each record added within the lateness, and is dropped once the watermark passes end + lateness;
 * a record all of whose windows are dropped is late. Returns every firing's contents and the late records.
 */
export function simulateLateness<E extends { id: number; key: string; ts: number; wm?: number }>(
  events: readonly E[], windowsOfTs: (ts: number) => [number, number][], lateness: number,
): { fires: { key: string; start: number; end: number; events: E[] }[]; late: E[] } {
  interface W { key: string; start: number; end: number; events: E[]; timer: boolean }
  const state = new Map<string, W>();
  const fires: { key: string; start: number; end: number; events: E[] }[] = [];
  const late: E[] = [];
  let wm = -Infinity;
  const fire = (w: W): void => { fires.push({ key: w.key, start: w.start, end: w.end, events: w.events.slice() }); };
  const advance = (to: number): void => {
    if (!(to > wm)) return;
    wm = to;
    for (const [id, w] of state) {
      if (w.timer && w.end - 1 <= wm) { w.timer = false; fire(w); }
      if (w.end - 1 + lateness <= wm) state.delete(id);
    }
  };
  for (const e of events) {
    let added = false;
    for (const [s, end] of windowsOfTs(e.ts)) {
      if (end - 1 + lateness <= wm) continue;
      added = true;
      const id = `${e.key}/${s}`;
      let w = state.get(id);
      if (!w) state.set(id, (w = { key: e.key, start: s, end, events: [], timer: false }));
      w.events.push(e);
      if (end - 1 <= wm) fire(w);   // late within the lateness: fires again at once
      else w.timer = true;          // the trigger's timer at the window end
    }
    if (!added && e.ts + lateness <= wm) late.push(e);
    if (e.wm !== undefined) advance(e.wm);
  }
  advance(Infinity);
  return { fires, late };
}

export function windowsOfTs(kind: 'tumbling' | 'sliding', size: number, slide: number): (ts: number) => [number, number][] {
  return (ts) => {
    if (kind === 'tumbling') { const s = floorTo(ts, size); return [[s, s + size]]; }
    const out: [number, number][] = [];
    for (let s = floorTo(ts, slide); s > ts - size; s -= slide) out.push([s, s + size]);
    return out;
  };
}
