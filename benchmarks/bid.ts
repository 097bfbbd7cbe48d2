// Runs on: any thread. The Nexmark Bid record shared by the benchmarks: its schema and a deterministic generator.

import { recordSchema, type Infer } from '../shm/codec/schema.js';

export const bidSchema = recordSchema({
  auction: 'i64',
  bidder: 'i64',
  price: 'i64',
  channel: 'string',
  url: 'string',
  dateTime: 'timestamp',
  extra: 'string',
});

export type Bid = Infer<typeof bidSchema>;

/** Bytes of a Bid in the typed layout: 3 x i64 + timestamp + 3 string end offsets, before the strings. */
const TYPED_FIXED_BYTES = 8 * 4 + 4 * 3;
/** `extra` pads each bid to this typed size, so records are ~100 bytes like Nexmark's. */
const TARGET_RECORD_BYTES = 100;
// Nexmark's hot channels, plus a generated one now and then.
const CHANNELS = ['Google', 'Facebook', 'Baidu', 'Apple'] as const;
const BASE_TIME = Date.UTC(2024, 0, 1);
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** mulberry32: a small seeded PRNG, so every run and every benchmark sees the same bids. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` deterministic bids for `seed`, ASCII only, each ~100 bytes in the typed layout. */
export function makeBids(n: number, seed = 1): Bid[] {
  const rnd = prng(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const word = (len: number): string => {
    let s = '';
    for (let i = 0; i < len; i++) s += LETTERS[int(0, LETTERS.length - 1)];
    return s;
  };
  // Flat strings, as records parsed from input have: concatenation builds ropes, which are slower to read.
  const flat = (s: string): string => Buffer.from(s, 'latin1').toString('latin1');
  const bids: Bid[] = [];
  let dateTime = BASE_TIME;
  for (let i = 0; i < n; i++) {
    const channel = rnd() < 0.9 ? CHANNELS[int(0, CHANNELS.length - 1)]! : flat(`channel-${int(0, 9999)}`);
    const url = flat(`https://nexmark.io/${word(5)}/item?q=${int(0, 9999)}`);
    dateTime += int(0, 20);
    const pad = Math.max(0, TARGET_RECORD_BYTES - TYPED_FIXED_BYTES - channel.length - url.length);
    bids.push({
      auction: 1000 + int(0, 999_999),
      bidder: 1000 + int(0, 9_999_999),
      price: int(100, 10_000_000),
      channel,
      url,
      dateTime,
      extra: flat(word(pad)),
    });
  }
  return bids;
}
