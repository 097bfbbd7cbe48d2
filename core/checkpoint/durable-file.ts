// Runs on: main thread. Replacing a small file so that a crash leaves the old one or the new one, never a torn one.

import { closeSync, fsyncSync, openSync, renameSync, writeFileSync } from 'node:fs';

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
