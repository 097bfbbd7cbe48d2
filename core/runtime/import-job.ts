// Runs on: main thread. Loads the job module run() was given, TypeScript too without a loader (tsx's API).

import { typeScriptHooks, typeScriptHooksRegistered } from './typescript-hooks.js';

/**
 * The job module. A TypeScript job in a process without a TypeScript loader (an app run by plain `node` that
 * embeds the engine) is loaded with tsx's hooks: else Node 20 fails it with ERR_UNKNOWN_FILE_EXTENSION, Node 24's own
 * type stripping refuses an enum or a `.js` import of a `.ts` file, and "TypeScript jobs run as they are" holds for
 * the CLI only. Registered globally, not as tsx's `tsImport`: that loads the job's
 * imports into a namespace of their own, so the job got a second copy of sluice, and the engine refused its
 * WatermarkStrategy, OutputTag or DEAD_LETTERS as not its own (instanceof). Registered once per process
 * (typescript-hooks.ts).
 */
export async function importJob(jobUrl: string): Promise<unknown> {
  // Taken before the import: another job's load may register tsx while this one's native load fails.
  const hooked = typeScriptHooksRegistered();
  try {
    return await import(jobUrl);
  } catch (e) {
    if (!typeScriptRefused((e as { code?: string }).code, jobUrl, hooked)) throw e;
    await typeScriptHooks();
    // A query of its own: the failed load of the plain URL may stay in the module cache.
    const url = new URL(jobUrl);
    url.searchParams.set('sluice-ts', '1');
    return await import(url.href);
  }
}

/**
 * Whether a TypeScript job failed for want of tsx. Node 20 has no TypeScript of its own (an unknown extension); Node
 * 22.18+/24 strips types and refuses what tsx takes (an enum, a `.js` import of a `.ts` file: not found). Not those
 * two when sluice itself runs as TypeScript (a loader is there) or tsx was registered before the load: then the
 * error is the job's.
 */
function typeScriptRefused(code: string | undefined, jobUrl: string, hooked: boolean): boolean {
  if (!/\.(c|m)?tsx?$/.test(new URL(jobUrl).pathname)) return false;
  if (code === 'ERR_UNKNOWN_FILE_EXTENSION') return true;
  const stripping = Boolean((process.features as { typescript?: unknown }).typescript) && !import.meta.url.endsWith('.ts');
  return stripping && !hooked && (code === 'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX' || code === 'ERR_MODULE_NOT_FOUND');
}
