// Runs on: main thread and every worker thread (part of the job definition; dead letters are built on workers).
//
// Error policies: what a source does with input it cannot decode, and an operator with a record its user function
// throws on. 'fail' (the default) fails the job, naming the operator; 'drop' skips the record and counts it;
// 'dead-letter' counts it and sends it, with the error, to the operator's DEAD_LETTERS side output, an ordinary
// stream (so it is checkpointed like any output and can go to any sink). Nothing is lost silently: every record an
// operator takes in comes out, or is counted as dropped or dead-lettered (job metrics).

import { OutputTag } from './output-tag.js';

export type ErrorPolicy = 'fail' | 'drop' | 'dead-letter';

export const ERROR_POLICIES: readonly ErrorPolicy[] = ['fail', 'drop', 'dead-letter'];

/** A record an operator rejected, with why and where. Plain data (it crosses rings and goes to any sink). */
export interface DeadLetter {
  /** The operator (or source) that rejected the record. */
  readonly operator: string;
  readonly subtask: number;
  /** The error's name, message and `code` (typed connector and runtime errors have one). */
  readonly error: { readonly name: string; readonly message: string; readonly code?: string };
  /**
   * The record: a source's raw input as read (text, or the bytes when they are not UTF-8), an operator's input
   * value, or a preview of a record too large to carry (`truncated`).
   */
  readonly raw: unknown;
  /** Where a source found it: `file:line`, `stream/id`, `tcp://host:port#connection:line`. Absent for operators. */
  readonly position?: string;
  /**
   * Which input of a two-input operator the record came in on: 1, the first (connect's first stream, a broadcast
   * connection's non-broadcast one, a join's left); 2, the second (the right, the broadcast stream). Absent for
   * one-input operators, sources, timers, and a window join's pair or coGroup's window (both: `raw` has the two).
   */
  readonly input?: 1 | 2;
  /**
   * `raw` is the first part of the record: of one too large for a ring (see `RecordTooLargeError`), or of a line
   * longer than a source's `maxLineBytes` (`LineTooLongError`), or what arrived of a socket line whose connection
   * failed before its end (`IncompleteLineError`).
   */
  readonly truncated?: true;
}

/** The side output every operator with the 'dead-letter' policy emits to: `stream.getSideOutput(DEAD_LETTERS)`. */
export const DEAD_LETTERS_ID = 'sluice:dead-letters';
export const DEAD_LETTERS = new OutputTag<DeadLetter>(DEAD_LETTERS_ID);

/** Bytes (or UTF-16 units) of a too-large record kept in its dead letter. */
export const DEAD_LETTER_PREVIEW = 4096;

export function deadLetter(operator: string, subtask: number, error: unknown, raw: unknown, position?: string, input?: 1 | 2): DeadLetter {
  const e = error instanceof Error ? error : new Error(String(error));
  const code = (e as { code?: unknown }).code;
  const dl: { -readonly [K in keyof DeadLetter]: DeadLetter[K] } = {
    operator, subtask, error: typeof code === 'string' ? { name: e.name, message: e.message, code } : { name: e.name, message: e.message }, raw,
  };
  if (position !== undefined) dl.position = position;
  if (input !== undefined) dl.input = input;
  if ((e as { rawTruncated?: unknown }).rawTruncated === true) dl.truncated = true;
  return dl;
}

/** A dead letter whose raw record is cut to a preview (the record itself cannot cross a ring). */
/** Whether `v` has a DeadLetter's shape (it crosses rings as plain data, so by shape, not class). */
export function isDeadLetter(v: unknown): v is DeadLetter {
  const d = v as { operator?: unknown; subtask?: unknown; error?: { name?: unknown; message?: unknown } | null } | null;
  return typeof d === 'object' && d !== null && typeof d.operator === 'string' && typeof d.subtask === 'number'
    && typeof d.error === 'object' && d.error !== null && typeof d.error.message === 'string' && 'raw' in d;
}

export function truncatedDeadLetter(dl: DeadLetter): DeadLetter {
  return { ...dl, raw: preview(dl.raw), truncated: true };
}

/** The first DEAD_LETTER_PREVIEW bytes of a value: text as text, bytes as bytes, anything else as its JSON text. */
export function preview(value: unknown): string | Uint8Array {
  if (value instanceof Uint8Array) return value.slice(0, DEAD_LETTER_PREVIEW);
  if (typeof value === 'string') return value.slice(0, DEAD_LETTER_PREVIEW);
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? `<${v.length} bytes>` : v));
  } catch {
    text = undefined;
  }
  return (text ?? String(value)).slice(0, DEAD_LETTER_PREVIEW);
}
