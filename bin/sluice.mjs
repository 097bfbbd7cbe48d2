#!/usr/bin/env node
// Runs on: main thread. The `sluice` executable: registers tsx so job modules (and, without a build, sluice
// itself) load as TypeScript with no build step, then hands the arguments to the CLI. Uses the build in dist/
// when there is one.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const built = new URL('../dist/core/cli/main.js', import.meta.url);
const source = new URL('../core/cli/main.ts', import.meta.url);
const { main } = await import((existsSync(fileURLToPath(built)) ? built : source).href);
await main(process.argv);
