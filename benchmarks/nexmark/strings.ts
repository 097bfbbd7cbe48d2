// Runs on: any thread that generates Nexmark events. The reference StringsGenerator (random strings and the
// `extra` padding) and BidGenerator's channels and urls, deterministic for a seed.
//
// Speed: a string is a slice of a pool of random characters built once from the seed, at a random offset,
// rather than drawn a character at a time; lengths and character frequencies are the reference's (letters;
// for nextString one character in 13 is the separator). Slices are flat strings, cheap to read and encode.

import { SplitRandom, type Random } from '../../core/connectors/generator.js';

const MIN_STRING_LENGTH = 3;
const POOL_LENGTH = 1 << 16;
/** Reference BidGenerator: half the bids come through one of four hot channels, the rest through 10,000. */
const HOT_CHANNELS_RATIO = 2;
const CHANNELS_NUMBER = 10_000;
const HOT_CHANNELS = ['Google', 'Facebook', 'Baidu', 'Apple'] as const;
// Salts keep the pools' and urls' random streams apart from the per-event streams (seed, event id >= 0).
const LETTERS_SALT = -1;
const WORDS_SALT = -2;
const HOT_URL_SALT = -3;
const CHANNEL_SALT = 0x6a09_e667;

/** A copy of `s` in one flat sequential string (concatenation builds ropes, slower to read). */
function flat(s: string): string {
  return Buffer.from(s, 'latin1').toString('latin1');
}

function pool(seed: number, salt: number, separator: string): string {
  const r = new SplitRandom().reset(seed, salt);
  const codes = new Uint8Array(POOL_LENGTH);
  const sep = separator.charCodeAt(0);
  for (let i = 0; i < POOL_LENGTH; i++) codes[i] = separator !== '' && r.int(13) === 0 ? sep : 97 + r.int(26);
  return Buffer.from(codes).toString('latin1');
}

/** Reverses the 32 bits of `x` (Java's Integer.reverse), as a signed int. */
function reverse32(x: number): number {
  x = ((x >>> 1) & 0x5555_5555) | ((x & 0x5555_5555) << 1);
  x = ((x >>> 2) & 0x3333_3333) | ((x & 0x3333_3333) << 2);
  x = ((x >>> 4) & 0x0f0f_0f0f) | ((x & 0x0f0f_0f0f) << 4);
  x = ((x >>> 8) & 0x00ff_00ff) | ((x & 0x00ff_00ff) << 8);
  return ((x >>> 16) | (x << 16)) | 0;
}

/** String sources for one generator: pools, and channel urls cached as the reference caches them. */
export class NexmarkStrings {
  private readonly letters: string;
  private readonly words: string;
  private readonly hotUrls: readonly string[];
  // Filled on first use; arrays, not Maps: a bid reads both, and indexing is much cheaper than hashing.
  private readonly channelNames = new Array<string | undefined>(CHANNELS_NUMBER).fill(undefined);
  private readonly channelUrls = new Array<string | undefined>(CHANNELS_NUMBER).fill(undefined);

  constructor(private readonly seed: number) {
    this.letters = pool(seed, LETTERS_SALT, '');
    this.words = pool(seed, WORDS_SALT, ' ');
    const r = new SplitRandom();
    this.hotUrls = HOT_CHANNELS.map((_, i) => this.baseUrl(r.reset(seed, HOT_URL_SALT - i)));
  }

  /** Reference nextString: 3 .. maxLength - 1 characters, one in 13 a space, trimmed. */
  nextString(r: Random, maxLength: number): string {
    const len = MIN_STRING_LENGTH + r.int(maxLength - MIN_STRING_LENGTH);
    const at = r.int(POOL_LENGTH - len);
    return this.words.slice(at, at + len).trim();
  }

  /** Reference nextExactString: `length` random letters. */
  nextExactString(r: Random, length: number): string {
    const at = r.int(POOL_LENGTH - length + 1);
    return this.letters.slice(at, at + length);
  }

  /** Reference nextExtra: letters such that currentSize + length averages desiredAverageSize (uniform +-20%). */
  nextExtra(r: Random, currentSize: number, desiredAverageSize: number): string {
    if (currentSize > desiredAverageSize) return '';
    const avg = desiredAverageSize - currentSize;
    const delta = Math.round(avg * 0.2);
    const size = avg - delta + (delta === 0 ? 0 : r.int(2 * delta));
    return this.nextExactString(r, size);
  }

  /** Draws a bid's channel (reference BidGenerator) and returns its index: < 0 for hot channel -1 - i. */
  nextChannel(r: Random): number {
    if (r.int(HOT_CHANNELS_RATIO) > 0) return -1 - r.int(HOT_CHANNELS.length);
    return r.int(CHANNELS_NUMBER);
  }

  channelName(channel: number): string {
    if (channel < 0) return HOT_CHANNELS[-1 - channel]!;
    let name = this.channelNames[channel];
    if (name === undefined) {
      name = flat(`channel-${channel}`);
      this.channelNames[channel] = name;
    }
    return name;
  }

  /** A channel's url: fixed per (seed, channel); nine in ten carry `&channel_id=` like the reference's. */
  channelUrl(channel: number): string {
    if (channel < 0) return this.hotUrls[-1 - channel]!;
    let url = this.channelUrls[channel];
    if (url === undefined) {
      const r = new SplitRandom().reset(this.seed ^ CHANNEL_SALT, channel);
      url = this.baseUrl(r);
      if (r.int(10) > 0) url += `&channel_id=${Math.abs(reverse32(channel))}`;
      url = flat(url);
      this.channelUrls[channel] = url;
    }
    return url;
  }

  /** Reference getBaseUrl: three short path segments with '_' as the separator. */
  private baseUrl(r: Random): string {
    const seg = (): string => {
      let s = '';
      for (let len = MIN_STRING_LENGTH + r.int(5 - MIN_STRING_LENGTH); len > 0; len--) s += r.int(13) === 0 ? '_' : String.fromCharCode(97 + r.int(26));
      return s;
    };
    return flat(`https://www.nexmark.com/${seg()}/${seg()}/${seg()}/item.htm?query=1`);
  }
}
