// Runs on: main thread. Loads the job module run() was given, TypeScript too without a loader (tsx's API).

import { typeScriptHooks } from './typescript-hooks.js';

/**
 * The job module. A TypeScript job in a process without a TypeScript loader (an app run by plain `node` that
 * embeds the engine) is loaded with tsx's hooks: else it fails with ERR_UNKNOWN_FILE_EXTENSION, and "TypeScript jobs
 * run as they are" holds for the CLI only. Registered globally, not as tsx's `tsImport`: that loads the job's
 * imports into a namespace of their own, so the job got a second copy of sluice, and the engine refused its
 * WatermarkStrategy, OutputTag or DEAD_LETTERS as not its own (instanceof). Registered once per process
 * (typescript-hooks.ts).
 */
export async function importJob(jobUrl: string): Promise<unknown> {
  try {
    return await import(jobUrl);
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION' || !/\.(c|m)?tsx?$/.test(new URL(jobUrl).pathname)) throw e;
    await typeScriptHooks();
    // A query of its own: the failed load of the plain URL may stay in the module cache.
    const url = new URL(jobUrl);
    url.searchParams.set('sluice-ts', '1');
    return await import(url.href);
  }
}
