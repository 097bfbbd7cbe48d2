// Runs on: the benchmark's main thread. Micro-benchmarks of the keyed state handles a user function holds
// (core/state/state-handles.ts over a StateTable), per record on a few thousand keys, the way a keyed process
// function uses them: set the backend's current key, then read and write through the handle. benchmarks/state.ts
// measures the tables underneath (and change tracking, snapshots, timers); this file measures the handles.
//
//   npm run bench:state-handles -- [--json [PATH]] [--quick]
//
// - state.value: value() then update(value + x), a running sum per key.
// - state.list: add(x); every 8th add to a key reads the list (get(), a copy) and clears it, so lists stay short.
// - state.map: put(x & 15, x) and get((x >> 4) & 15), up to 16 entries per key.
// - state.declared: state.value with both handles of two value states asked for by name per record
//   (ctx.state(name) in processElement, as most process functions do): the backend's lookup of a declared handle.
// Each without a TTL (engine `sluice`) and with a processing-time TTL of an hour (`sluice.ttl`: every write
// stamps the entry and queues it for cleanup, every read checks its expiry; nothing expires during a run), and the
// same with the state fast paths off (`sluice.no-fast-paths`, `sluice.ttl-no-fast-paths`, RunOptions.stateFastPaths
// false: a handle asked for by name goes through every declaration check, every write that renews moves its entry
// in cleanup order, and a list add or map put reads the clock twice). Change tracking
// off (no checkpoints).
// Each sample runs BATCH operations on KEYS keys (a fixed pseudo-random key sequence); events/s = BATCH x median
// samples/s. outputRows / outputChecksum: a verification run of 8 x BATCH operations per engine on fresh state
// The engines of a benchmark run interleaved, in rounds with their order rotated (micro.ts measure): each figure is
// the median over rounds of a round's median (or p99) sample.
// before timing, folding every value read.

import { KeyedStateBackend } from '../core/state/keyed-state-backend.js';
import type { StateOptions } from '../core/api/state.js';
import { emitReport, parseJsonArg, type BenchResult } from './report.js';
import { benchTimes, Checksum, measure, printRatios, taskRow } from './micro.js';

const KEYS = 4096;
const BATCH = 10_000;
const CLOCKS = { processing: () => Date.now(), event: () => 0 };
/** Passes over the key sequence in the verification run (lists reach 8 adds on many keys). */
const VERIFY_PASSES = 8;
const TTL: StateOptions = { ttl: { ttlMs: 3_600_000 } };

const keys = new Int32Array(BATCH);
for (let i = 0, x = 12345; i < BATCH; i++) { x = (Math.imul(x, 1103515245) + 12345) | 0; keys[i] = (x >>> 8) % KEYS; }

type Op = (check?: Checksum) => number;

let fastPaths = true;

function backend(): KeyedStateBackend {
  return new KeyedStateBackend('bench', 128, false, CLOCKS, true, fastPaths);
}

function valueOp(options: StateOptions | undefined): Op {
  const b = backend();
  const s = b.valueState<number>('sum', options);
  return (check) => {
    let total = 0;
    for (let i = 0; i < BATCH; i++) {
      b.currentKey = keys[i]!;
      const v = (s.value() ?? 0) + (i & 7);
      s.update(v);
      total += v;
      check?.add(keys[i]!, v);
    }
    return total;
  };
}

function declaredOp(options: StateOptions | undefined): Op {
  const b = backend();
  b.valueState<number>('sum', options);
  b.valueState<number>('count', options);
  return (check) => {
    let total = 0;
    for (let i = 0; i < BATCH; i++) {
      b.currentKey = keys[i]!;
      const s = b.valueState<number>('sum', options);
      const v = (s.value() ?? 0) + (i & 7);
      s.update(v);
      const c = b.valueState<number>('count', options);
      const n = (c.value() ?? 0) + 1;
      c.update(n);
      total += v + n;
      check?.add(keys[i]!, v, n);
    }
    return total;
  };
}

function listOp(options: StateOptions | undefined): Op {
  const b = backend();
  const s = b.listState<number>('recent', options);
  const adds = new Int32Array(KEYS);
  return (check) => {
    let total = 0;
    for (let i = 0; i < BATCH; i++) {
      const k = keys[i]!;
      b.currentKey = k;
      s.add(i);
      if ((++adds[k]! & 7) === 0) {
        const list = s.get();
        let sum = 0;
        for (let j = 0; j < list.length; j++) sum += list[j]!;
        total += sum;
        check?.add(k, list.length, sum);
        s.clear();
      }
    }
    return total;
  };
}

function mapOp(options: StateOptions | undefined): Op {
  const b = backend();
  const s = b.mapState<number, number>('byField', options);
  return (check) => {
    let total = 0;
    for (let i = 0; i < BATCH; i++) {
      const k = keys[i]!;
      b.currentKey = k;
      s.put(i & 15, i);
      const v = s.get((i >> 4) & 15) ?? -1;
      total += v;
      check?.add(k, v);
    }
    return total;
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const target = parseJsonArg(argv);
  const times = benchTimes(argv);
  const results: BenchResult[] = [];
  let sink = 0;
  const engines = [['sluice', undefined, true], ['sluice.no-fast-paths', undefined, false], ['sluice.ttl', TTL, true], ['sluice.ttl-no-fast-paths', TTL, false]] as const;
  for (const [benchmark, make] of [['state.value', valueOp], ['state.declared', declaredOp], ['state.list', listOp], ['state.map', mapOp]] as const) {
    const checks = engines.map(([, options, fast]) => { fastPaths = fast; const c = new Checksum(); const op = make(options); for (let p = 0; p < VERIFY_PASSES; p++) op(c); return c; });
    const m = await measure(benchmark, engines.map(([name, options, fast]) => {
      fastPaths = fast;
      const op = make(options);
      return [name, () => { sink += op(); }] as const;
    }), times);
    engines.forEach(([name], i) => results.push(taskRow(m.get(name)!, benchmark, name, BATCH, checks[i]!, { keys: KEYS })));
  }
  if (Number.isNaN(sink)) process.stderr.write('unreachable\n');
  emitReport(results, target);
  printRatios(results, (e) => e === 'sluice.ttl');
}

await main();
