#!/usr/bin/env node
// Runs on: main thread. The `sluice` executable: registers tsx so job modules (and, in a checkout of the
// repository, sluice itself) load as TypeScript with no build step, then hands the arguments to the CLI. The
// sources when they are here (a checkout: jobs in the tree import core/*.ts, and a second copy of the API from
// dist/ would fail their instanceof checks), else the build (the published package holds dist/ only).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const source = new URL('../core/cli/main.ts', import.meta.url);
const built = new URL('../dist/core/cli/main.js', import.meta.url);
const { main } = await import((existsSync(fileURLToPath(source)) ? source : built).href);
await main(process.argv);
