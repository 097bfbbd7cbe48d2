// Imported by ../bundled.ts: a second bundled file, whose import.meta.url must stay its own.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export function besideMe(): string {
  return readFileSync(new URL('./payload.txt', import.meta.url), 'utf8').trim();
}

/** Where a package resolves from this file's location (the lazy-require pattern of the engine). */
export function packagePath(): string {
  return createRequire(import.meta.url).resolve('msgpackr');
}
