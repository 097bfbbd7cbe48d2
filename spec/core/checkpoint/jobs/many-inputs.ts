// A job with many input channels for barrier alignment: four sources of different rates, unioned, rebalanced,
// keyed, counted, into a ledger, until a marker file appears. Barriers reach each task at different positions on
// every channel.
//   ?keys=300&interval=5&ledger=/dir&mode=aligned|unaligned&marker=/file
import { defineJob } from '../../../../core/index.js';
import { ledgerSink } from '../ledger.js';
import { untilMarker } from './until-marker.js';
import type { Update } from './exactly-once.js';

const q = new URL(import.meta.url).searchParams;
const keys = Number(q.get('keys') ?? 300);
const interval = Number(q.get('interval') ?? 5);
const ledger = q.get('ledger') ?? '';
const mode = (q.get('mode') ?? 'aligned') as 'aligned' | 'unaligned';
const marker = q.get('marker') ?? '';

/** Source k emits ids offset, offset + 1, ... (at most SPAN of them) until the marker appears. */
export const SPAN = 10_000_000;
export const SOURCES = [
  { rate: 6_000, offset: 0 },
  { rate: 1_000, offset: SPAN },
  { rate: 12_000, offset: 2 * SPAN },
  { rate: 300, offset: 3 * SPAN },
];

export function keyOf(i: number): string {
  return `k${(i * 2654435761 >>> 0) % keys}`;
}

export default defineJob((env) => {
  env.enableCheckpointing(interval, { mode });
  const streams = SOURCES.map((s, k) => env.fromSource(untilMarker(marker, s.offset, s.rate)).name(`src${k}`).uid(`src${k}`));
  streams[0]!.union(...streams.slice(1)).name('union').uid('union')
    .rebalance().map((i: number) => ({ key: keyOf(i), count: 1, i }) as Update).name('tag').uid('tag')
    .keyBy((u) => u.key)
    .reduce((a, b) => ({ key: a.key, count: a.count + b.count, i: b.i })).name('count').uid('count')
    .sink(ledgerSink<Update>(ledger)).name('out').uid('out');
});
