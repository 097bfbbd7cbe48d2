// Runs on: a piscina worker thread, first: every job pool's filename. It loads the thread's real module (a job's
// bundle, or workers/pool-entry.mjs) with import(), named by SLUICE_WORKER_MODULE in the thread's environment.
//
// Why CommonJS: piscina require()s its filename before it tries import(), and on Node 20.19+ require() of an ES
// module instantiates it synchronously; a thread terminated during that instantiation (a pool destroyed while it
// starts a replacement for a thread that died) aborts the whole process with a V8 fatal error in
// Module::IsGraphAsync (Node 20.20, seen in CI in lifecycle.it). A CommonJS file never takes that path, and
// import() gives a termination up cleanly.
'use strict';

const entry = process.env.SLUICE_WORKER_MODULE;
if (typeof entry !== 'string' || entry === '') {
  throw new TypeError('workers/pool-entry.cjs: SLUICE_WORKER_MODULE must be the URL of the thread\'s module');
}
const handler = import(entry).then((m) => m.default);
// Its failure reaches the thread's first task, which awaits it; not an unhandled rejection before then.
handler.catch(() => {});

module.exports = async function poolEntry(...args) {
  return (await handler)(...args);
};
