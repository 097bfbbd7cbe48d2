// Runs on: the worker thread of a source subtask.
//
// Strict UTF-8 decoding of one record: a record with invalid bytes is bad input, never a string with U+FFFD
// in it (which would silently change the data). The fast path is the platform's fatal TextDecoder; only on
// failure do we scan for the first bad byte, so the error can say where it is.

import { InvalidUtf8Error, type InputLocation } from '../errors.js';

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function decodeUtf8Strict(bytes: Uint8Array, at: InputLocation): string {
  const text = tryDecodeUtf8(bytes);
  if (text !== undefined) return text;
  const bad = firstInvalidUtf8(bytes);
  throw new InvalidUtf8Error(at, bad, bytes[bad] ?? 0);
}

/** The text, or undefined when the bytes are not well-formed UTF-8 (callers on a per-record path build no location until then). */
export function tryDecodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Index of the first byte that makes `bytes` ill-formed UTF-8 (Unicode table 3-7: no overlongs, no surrogates,
 * nothing above U+10FFFF), or -1 when well formed. A truncated sequence at the end points at its lead byte.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) { i++; continue; }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) { need = 2; if (b === 0xe0) lo = 0xa0; else if (b === 0xed) hi = 0x9f; }
    else if (b >= 0xf0 && b <= 0xf4) { need = 3; if (b === 0xf0) lo = 0x90; else if (b === 0xf4) hi = 0x8f; }
    else return i;
    for (let k = 1; k <= need; k++) {
      if (i + k >= n) return i; // truncated at the end: the sequence's lead byte is what cannot be completed
      const c = bytes[i + k]!;
      if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return i + k;
    }
    i += need + 1;
  }
  return -1;
}
