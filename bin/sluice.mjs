#!/usr/bin/env node
// Runs on: main thread. The `sluice` executable: hands the arguments to the CLI, from the sources when they are
// here (a checkout: jobs in the tree import core/*.ts, and a second copy of the API from dist/ would fail their
// instanceof checks), else from the build (the published package holds dist/ only). The sources are TypeScript,
// so a checkout registers tsx first; the build registers it only for `sluice run` (main.ts), which loads a job
// module (TypeScript too): its other commands, --version and --help start without it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = new URL('../core/cli/main.ts', import.meta.url);
const built = new URL('../dist/core/cli/main.js', import.meta.url);
const checkout = existsSync(fileURLToPath(source));
if (checkout) {
  const { register } = await import('tsx/esm/api');
  register();
}
const { main } = await import((checkout ? source : built).href);
await main(process.argv);
