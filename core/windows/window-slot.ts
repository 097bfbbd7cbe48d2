// Runs on: the worker thread of a window operator. The state of one window of one key: its bounds, contents,
// trigger state and the timers its trigger registered.
//
// A key's slots live in one array, the value of the key's entry in the operator's state table (the table key is
// the record key, so key groups route and rescale as for any keyed state). Slots are plain data with one shape
// (built only by `makeSlot`): they are checkpointed as they are and rebuilt with `restoreSlot`.

import type { Window } from './window.js';

export interface Slot {
  /** Window bounds [s, e); maxTimestamp = e - 1. */
  s: number;
  e: number;
  /** The window object triggers and functions see (rebuilt from s, e on restore). */
  w: Window;
  /** Contents: the reduced value, the accumulator, the element list, or [left list, right list] (a join). */
  a: unknown;
  /** Elements added since the contents were last purged (0: empty, nothing to fire). */
  n: number;
  /** The trigger's state. */
  t: unknown;
  /** Event-time and processing-time timers the trigger registered for this window (few; usually one). */
  et: number[] | undefined;
  pt: number[] | undefined;
}

export function makeSlot(s: number, e: number, w: Window): Slot {
  return { s, e, w, a: undefined, n: 0, t: undefined, et: undefined, pt: undefined };
}

/** A slot as a checkpoint returns it (plain object; its window a plain {start, end}). */
export function restoreSlot(raw: Slot, window: (start: number, end: number) => Window): Slot {
  const s = makeSlot(raw.s, raw.e, window(raw.s, raw.e));
  s.a = raw.a;
  s.n = raw.n;
  s.t = raw.t;
  s.et = raw.et === undefined || raw.et === null ? undefined : raw.et;
  s.pt = raw.pt === undefined || raw.pt === null ? undefined : raw.pt;
  return s;
}
