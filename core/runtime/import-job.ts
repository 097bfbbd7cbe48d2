// Runs on: main thread. Loads the job module run() was given, TypeScript too without a loader (tsx's API).

/**
 * The job module. A TypeScript job in a process without a TypeScript loader (an app run by plain `node` that
 * embeds the engine) is loaded through tsx's API: else it fails with ERR_UNKNOWN_FILE_EXTENSION, and "TypeScript jobs
 * run as they are" holds for the CLI only.
 */
export async function importJob(jobUrl: string): Promise<unknown> {
  try {
    return await import(jobUrl);
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION' || !/\.(c|m)?tsx?$/.test(new URL(jobUrl).pathname)) throw e;
    const { tsImport } = await import('tsx/esm/api');
    return tsImport(jobUrl, import.meta.url);
  }
}
