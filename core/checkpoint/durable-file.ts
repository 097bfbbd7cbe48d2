// Runs on: main thread. The small JSON files beside the store (the PUBLISHED and LINEAGE marks): read, each problem
// named for the caller's error, and replaced so that a crash leaves the old one or the new one, never a torn one.

import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/** The JSON object in `file`, or undefined when there is no file; `fail` is called with what is wrong otherwise. */
export function readJsonFile(file: string, fail: (problem: string) => never): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return fail(`cannot be read: ${(e as Error).message}`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return fail('not JSON');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return fail('not an object');
  return v as Record<string, unknown>;
}

/** Writes `text` to `file` durably: a temporary file, fsync, rename over it, fsync the directory. */
export function writeFileDurably(file: string, dir: string, text: string): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, text);
  const fd = openSync(tmp, 'r');
  try { fsyncSync(fd); } finally { closeSync(fd); }
  renameSync(tmp, file);
  const d = openSync(dir, 'r');
  try { fsyncSync(d); } finally { closeSync(d); }
}
