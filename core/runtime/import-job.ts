// Runs on: main thread. Loads the job module run() was given, TypeScript too without a loader (tsx's API), and says
// what went wrong when it does not load.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JobLoadError } from '../api/errors.js';
import { typeScriptHooks } from './typescript-hooks.js';

/**
 * The job module. A TypeScript job is loaded with tsx's hooks, registered before the import as `sluice run` does
 * (also beside a loader of the app's own; not where sluice itself runs as TypeScript, through one): Node 20 has no
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
  // tsx's compile error: its message names the file, line and column; its stack is esbuild's own frames.
  if (e.name === 'TransformError') return new JobLoadError(e.message.replace(/^Transform failed with \d+ errors?:\n/, ''), file, { cause: e });
  // Before Node 22.12 a CommonJS module cannot require() sluice (an ES module): whatever Node says then (an internal
  // assertion, "not in cache", a cycle), this is why. From 22.12 such a job loads.
  if (loadsAsCommonJs(file) && !requiresEsm()) {
    const hint = file.endsWith('.cts') ? 'a .cts file loads as CommonJS, which cannot load sluice (an ES module) before Node 22.12: name the job .mts'
      : 'outside a package.json with "type": "module", a .ts file loads as CommonJS: name the job .mts, or add {"type": "module"} to its package.json (npm pkg set type=module)';
    return new JobLoadError(`${hint}\nNode's error: ${e.name}: ${first}`, file, { cause: e });
  }
  // Node's SyntaxError from import() keeps where it is out of its message and stack: esbuild finds it.
  if (e.name === 'SyntaxError' && !/file:\/\/|\.[cm]?[jt]sx?:\d+/.test(`${e.message}\n${e.stack ?? ''}`)) {
    const where = await syntaxErrorAt(file);
    if (where !== undefined) return new JobLoadError(`${where}: ${e.name}: ${first}`, file, { cause: e });
  }
  return undefined;
}

/** A TypeScript job that tsx loads as CommonJS: `.cts`, or `.ts`/`.tsx` where the nearest package.json is not "type": "module". */
function loadsAsCommonJs(file: string): boolean {
  if (file.endsWith('.cts')) return true;
  if (!/\.tsx?$/.test(file)) return false;
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    let text: string | undefined;
    try { text = readFileSync(path.join(dir, 'package.json'), 'utf8'); } catch { /* none here: look further up */ }
    if (text !== undefined) {
      try { return (JSON.parse(text) as { type?: unknown }).type !== 'module'; } catch { return true; }
    }
    if (path.dirname(dir) === dir) return true;
  }
}

/** Whether this Node lets CommonJS require() an ES module (22.12 and later). */
function requiresEsm(): boolean {
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  return major > 22 || (major === 22 && minor >= 12);
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
