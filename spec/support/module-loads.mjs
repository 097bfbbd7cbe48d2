// Runs on: main thread of a process a test starts with `node --import <this file>`: registers
// module-loads-hooks.mjs, which appends the URL of every module the process loads to the file named by
// SLUICE_MODULE_LOADS, and appends `hooks <how>` there each time something registers module hooks after it (tsx:
// module.register on Node 20, module.registerHooks where Node has it). Plain JavaScript: it loads before any
// TypeScript loader.
import { appendFileSync } from 'node:fs';
import module, { register, syncBuiltinESMExports } from 'node:module';

const file = process.env.SLUICE_MODULE_LOADS;
if (!file) throw new Error('module-loads.mjs: set SLUICE_MODULE_LOADS to the file that lists loaded modules');
register(new URL('./module-loads-hooks.mjs', import.meta.url));
// Counted as they pass, then done as asked: the process runs as it would without the probe.
for (const how of ['register', 'registerHooks']) {
  const real = module[how];
  if (typeof real !== 'function') continue;
  module[how] = function (...args) {
    appendFileSync(file, `hooks ${how}\n`);
    return real.apply(this, args);
  };
}
// ES modules importing node:module see the wrapped functions too.
syncBuiltinESMExports();
