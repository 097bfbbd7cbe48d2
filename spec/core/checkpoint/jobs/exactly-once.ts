// A job for the exactly-once tests. Every record is (i, key); a keyed reduce counts records per key, so the
// updates of one key must read 1, 2, 3, ... exactly once each; the sink receives every update (with the i of the
// record that caused it), so the test can count lost, duplicated and unexpected records.
//   ?n=200000&keys=1000&rate=0&interval=50&failAt=i,j&marker=/path&crash=throw|exit|hang|snapshot|restore&ledger=/dir&typed=1
//   &countUid=count&countKind=map&genKind=collection
// typed=1: the reduce keeps its counts in typed columns (stateSchema).
// crash: where the injected failure happens: `throw` in a map function, `exit` kills the worker thread
// (process.exit in a worker), `hang` spins forever in the map function (only terminating the thread ends it),
// `snapshot` throws in the sink's prepareCommit, `restore` throws in a process
// function's open() after a restore. Each failure happens once (a marker file remembers it).
import { existsSync, writeFileSync } from 'node:fs';
import { defineJob, recordSchema } from '../../../../core/index.js';
import { ledgerSink } from '../ledger.js';

const q = new URL(import.meta.url).searchParams;
const n = Number(q.get('n') ?? 200_000);
const keys = Number(q.get('keys') ?? 1000);
const rate = Number(q.get('rate') ?? 0);
const interval = Number(q.get('interval') ?? 50);
/** Comma-separated record indices at which to fail, each once (a marker file per index remembers it failed). */
const failAt = (q.get('failAt') ?? '').split(',').filter((x) => x !== '').map(Number);
const marker = q.get('marker') ?? '';
const crash = q.get('crash') ?? 'throw';
const ledger = q.get('ledger') ?? '';
const unbounded = q.get('unbounded') === '1';
const typed = q.get('typed') === '1';
const updateSchema = recordSchema({ key: 'string', count: 'i64', i: 'i64' });

/** True the first time it is asked about `what` (a marker file remembers), when failure injection is on. */
function firstTime(what: string): boolean {
  if (marker === '' || existsSync(`${marker}.${what}`)) return false;
  writeFileSync(`${marker}.${what}`, 'failed once');
  return true;
}

export interface Update { key: string; count: number; i: number }

export default defineJob((env) => {
  if (interval > 0) env.enableCheckpointing(interval);
  // genKind=collection: the source's uid taken over by another kind of source (a changed job, for the savepoint tests).
  const source = q.get('genKind') === 'collection'
    ? env.fromCollection(Array.from({ length: n }, (_, i) => ({ i, key: `k${i % keys}` })))
    : env.fromGenerator({ ...(unbounded ? {} : { count: n }), seed: 7, ...(rate > 0 ? { ratePerSec: rate } : {}) }, (i, r) => ({ i, key: `k${r.int(keys)}` }));
  const injected = source.name('gen').uid('gen')
    .map((e: { i: number; key: string }) => {
      if ((crash === 'throw' || crash === 'exit' || crash === 'hang') && failAt.includes(e.i) && firstTime(String(e.i))) {
        if (crash === 'exit') process.exit(3);
        if (crash === 'hang') for (;;) { /* hung in user code: no barrier passes this subtask again */ }
        throw new Error(`injected failure at record ${e.i}`);
      }
      return { key: e.key, count: 1, i: e.i } as Update;
    }).name('inject').uid('inject');
  // countKind=map: the uid of the counter taken over by a stateless map (a changed job, for the savepoint tests).
  const counted = q.get('countKind') === 'map'
    ? injected.map((u) => u).name('count').uid(q.get('countUid') ?? 'count')
    : injected.keyBy((u) => u.key)
      .reduce((a, b) => ({ key: a.key, count: a.count + b.count, i: b.i }), typed ? { stateSchema: updateSchema } : {}).name('count').uid(q.get('countUid') ?? 'count');
  const checked = crash !== 'restore' ? counted : counted.keyBy((u) => u.key).process<Update>({
    open() {
      // open() runs after a restore too: fail there once, after the first failure caused a restart.
      if (existsSync(`${marker}.restarted`) && firstTime('restore')) throw new Error('injected failure in open() after a restore');
    },
    processElement(u, _ctx, out) {
      if (failAt.includes(u.i) && firstTime(String(u.i))) { writeFileSync(`${marker}.restarted`, ''); throw new Error(`injected failure at record ${u.i}`); }
      out.collect(u);
    },
  }).name('reopen').uid('reopen');
  const sink = ledger !== '' ? checked.sink(ledgerSink<Update>(ledger)) : checked.collect();
  sink.name('out').uid('out');
  if (crash === 'snapshot') {
    // A second sink whose prepareCommit throws once, after the record failAt[0] went through it.
    let armed = false;
    checked.sink({
      kind: 'test-failing-prepare',
      fingerprint: 'test-failing-prepare',
      createWriter: () => ({
        write(u: Update) { if (failAt.includes(u.i)) armed = true; },
        prepareCommit() { if (armed && firstTime('snapshot')) throw new Error('injected failure in prepareCommit'); return []; },
        finish: () => undefined,
      }),
      commit() {},
    }).name('failing-prepare').uid('failing-prepare');
  }
});
