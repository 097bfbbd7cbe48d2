// Runs on: the benchmark's main thread and every sluice worker thread (each loads the job module and builds the
// same graph). async-map: generator → asyncMap (a function whose promise is already resolved: an in-memory cache
// hit) → checksum sink, or the same with a plain map (ASYNC_MAP_MODE=map), the baseline. Count and seed come from
// the environment (benchmarks/job-generator.ts); the mode, capacity and order from ASYNC_MAP_*.

import { defineJob } from '../../core/index.js';
import { benchParams, checksumSink } from '../job-generator.js';

export const MODE_ENV = 'ASYNC_MAP_MODE';
export const CAPACITY_ENV = 'ASYNC_MAP_CAPACITY';
export const ORDERED_ENV = 'ASYNC_MAP_ORDERED';

const work = (i: number): number => (Math.imul(i, 0x9e3779b1) >>> 0) % 1000;

export default defineJob((env) => {
  const { count, seed } = benchParams();
  const events = env.fromGenerator({ count, seed }, (i) => i).name('events');
  const out = process.env[MODE_ENV] === 'map'
    ? events.map(work).name('map')
    : events.asyncMap(async (i: number) => work(i), { capacity: Number(process.env[CAPACITY_ENV] ?? 1), ordered: process.env[ORDERED_ENV] !== 'false' }).name('asyncMap');
  out.sink(checksumSink((v: number) => v, 'async-map')).name('out');
});
