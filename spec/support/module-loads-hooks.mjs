// Runs on: the module hooks thread of a process started with module-loads.mjs. Registered first, so a loader
// registered after it (tsx) hands on to it: it sees every module that gets loaded, TypeScript files too.
import { appendFileSync } from 'node:fs';

// The hooks thread starts with the process's environment.
const file = process.env.SLUICE_MODULE_LOADS;

export async function load(url, context, nextLoad) {
  appendFileSync(file, `${url}\n`);
  return nextLoad(url, context);
}
