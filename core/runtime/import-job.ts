// Runs on: main thread. Loads the job module run() was given, TypeScript too without a loader (tsx's API), and says
// what went wrong when it does not load.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JobLoadError } from '../api/errors.js';
import { typeScriptHooks } from './typescript-hooks.js';

/**
 * The job module. A TypeScript job in a process without a TypeScript loader (an app run by plain `node` that
 * embeds the engine) is loaded with tsx's hooks, registered before the import as `sluice run` does: Node 20 has no
 * TypeScript of its own, and Node 24's type stripping refuses an enum, a decorator, a `.js` import of a `.ts` file
 * or a type imported without `type` (some with no error code to tell them by), so "TypeScript jobs run as they are"
 * would hold for the CLI only. Registered globally, not as tsx's `tsImport`: that loads the job's imports into a
 * namespace of their own, so the job got a second copy of sluice, and the engine refused its WatermarkStrategy,
 * OutputTag or DEAD_LETTERS as not its own (instanceof). Registered once per process (typescript-hooks.ts).
 */
export async function importJob(jobUrl: string): Promise<unknown> {
  // Running as TypeScript itself (a checkout), sluice has a loader already.
  if (isTypeScript(jobUrl) && !import.meta.url.endsWith('.ts')) await typeScriptHooks();
  try {
    return await import(jobUrl);
  } catch (e) {
    throw (await explained(jobUrl, e)) ?? e;
  }
}

function isTypeScript(jobUrl: string): boolean {
  return /\.(c|m)?tsx?$/.test(new URL(jobUrl).pathname);
}

/** A JobLoadError for the usual causes of a module that does not load, undefined for others (the error as it is). */
async function explained(jobUrl: string, e: unknown): Promise<JobLoadError | undefined> {
  if (!(e instanceof Error) || !jobUrl.startsWith('file:')) return undefined;
  const file = fileURLToPath(jobUrl);
  const first = e.message.split('\n')[0];
  if (/\.tsx?$/.test(file) && /require\(\)|ES Module|Cannot use import statement|exports is not defined/.test(e.message)) {
    return new JobLoadError(`outside a package.json with "type": "module", a .ts file loads as CommonJS: name the job .mts, or add {"type": "module"} to its package.json (npm pkg set type=module)\nNode's error: ${e.name}: ${first}`, file, { cause: e });
  }
  // tsx's compile error: its message names the file, line and column; its stack is esbuild's own frames.
  if (e.name === 'TransformError') return new JobLoadError(e.message.replace(/^Transform failed with \d+ errors?:\n/, ''), file, { cause: e });
  // Node's SyntaxError from import() keeps where it is out of its message and stack: esbuild finds it.
  if (e.name === 'SyntaxError' && !/file:\/\/|\.[cm]?[jt]sx?:\d+/.test(`${e.message}\n${e.stack ?? ''}`)) {
    const where = await syntaxErrorAt(file);
    if (where !== undefined) return new JobLoadError(`${where}: ${e.name}: ${first}`, file, { cause: e });
  }
  return undefined;
}

/** `file:line:column` of the first syntax error in `file` or the modules it imports (not packages'), if esbuild sees one. */
async function syntaxErrorAt(file: string): Promise<string | undefined> {
  try {
    const esbuild = await import('esbuild');
    await esbuild.build({ entryPoints: [file], bundle: true, write: false, packages: 'external', logLevel: 'silent', platform: 'node', format: 'esm' });
    return undefined;
  } catch (e) {
    const loc = (e as { errors?: { location?: { file: string; line: number; column: number } | null }[] }).errors?.[0]?.location;
    // esbuild names files relative to its working directory, the process's.
    return loc ? `${path.resolve(loc.file)}:${loc.line}:${loc.column + 1}` : undefined;
  }
}
