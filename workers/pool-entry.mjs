// Runs on: a piscina worker thread, first. The pool's filename: loads the task host, from TypeScript sources
// (registering tsx, since workers do not inherit the main thread's loader on Node 20) or from the build.
// Job modules written in TypeScript load the same way, whichever of the two this is.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = new URL('./task-host.js', import.meta.url);
const source = new URL('./task-host.ts', import.meta.url);
const { register } = await import('tsx/esm/api');
register();
const mod = await import((existsSync(fileURLToPath(built)) ? built : source).href);
export default mod.default;
