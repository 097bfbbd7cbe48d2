// Runs on: any thread. The checksum a benchmark's receiver folds over every field it reads.

import type { Bid } from './bid.js';

function foldString(h: number, s: string): number {
  // Length plus first and last code unit: touches the string without costing more than the transport.
  h = Math.imul(h ^ s.length, 0x01000193);
  if (s.length > 0) h = Math.imul(h ^ s.charCodeAt(0) ^ (s.charCodeAt(s.length - 1) << 16), 0x01000193);
  return h;
}

/** Folds every field of a bid into a 32-bit checksum; the order of bids matters. */
export function foldBid(h: number, b: Bid): number {
  h = Math.imul(h ^ b.auction, 0x01000193);
  h = Math.imul(h ^ b.bidder, 0x01000193);
  h = Math.imul(h ^ b.price, 0x01000193);
  h = Math.imul(h ^ (b.dateTime % 0x7fffffff), 0x01000193);
  h = foldString(h, b.channel);
  h = foldString(h, b.url);
  h = foldString(h, b.extra);
  return h >>> 0;
}

const f64 = new Float64Array(1);
const f64Words = new Uint32Array(f64.buffer);

/** Folds a ping (seq, and sentAt's exact 64 bits) into a 32-bit checksum; the order of pings matters. */
export function foldPing(h: number, p: { seq: number; sentAt: number }): number {
  f64[0] = p.sentAt;
  h = Math.imul(h ^ p.seq, 0x01000193);
  h = Math.imul(h ^ f64Words[0]!, 0x01000193);
  h = Math.imul(h ^ f64Words[1]!, 0x01000193);
  return h >>> 0;
}
