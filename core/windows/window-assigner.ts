// Runs on: main thread and every worker thread (part of the job definition); `assign` runs on the worker thread
// of the window operator, once per record. Which windows a record falls into.
//
// An assigner writes its windows as (start, end) pairs into a reusable array instead of returning window
// objects: the operator looks a window's state up by those two numbers, so a record that lands in windows that
// already exist allocates nothing. `window(start, end)` builds the object users and triggers see.

import { JobDefinitionError } from '../api/errors.js';
import type { Trigger } from './trigger.js';
import type { Window } from './window.js';
import { shownValue } from '../api/shown-value.js';

export abstract class WindowAssigner<W extends Window> {
  /** Windows are decided by event time (the record's timestamp) rather than by the wall clock at arrival. */
  abstract readonly isEventTime: boolean;
  /** Windows merge when they overlap (session windows). */
  readonly isMerging: boolean = false;
  /** Everything that defines the windows: part of the job's fingerprint. */
  abstract readonly fingerprint: string;

  /**
   * Writes the windows of a record with time `timestamp` (event time, or the wall clock for processing-time
   * assigners) into `out` as start, end, start, end, ...; returns how many windows.
   */
  abstract assign(element: unknown, timestamp: number, out: number[]): number;

  /** The window object for [start, end). */
  abstract window(start: number, end: number): W;

  /** The trigger used unless the job sets one. */
  abstract defaultTrigger(): Trigger<W>;
}

export function checkDuration(value: number, what: string, where: string, allowZero = false): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || (!allowZero && value === 0)) {
    throw new JobDefinitionError(`${where}: ${what} must be a${allowZero ? ' non-negative' : ' positive'} integer number of ms, got ${shownValue(value)}`);
  }
  return value;
}

/**
 * A window's allowed lateness (`allowedLateness(ms)` of windowed streams and window joins), checked. `where` names
 * the operator it follows, as the other window builders' messages do (which window, in a job of many?).
 */
export function checkAllowedLateness(ms: number, assigner: WindowAssigner<Window>, where = 'allowedLateness'): number {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new JobDefinitionError(`${where}: expected an integer number of ms >= 0, got ${shownValue(ms)}`);
  if (ms > 0 && !assigner.isEventTime) throw new JobDefinitionError(`${where}: applies to event-time windows only, not ${assigner.fingerprint}`);
  return ms;
}
