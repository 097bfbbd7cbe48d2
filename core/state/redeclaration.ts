// Runs on: the worker thread of a keyed operator instance. A state declared again under its name (in open() and
// again later, or on every record) must be declared as before: the first declaration's TTL and function are the
// ones the state keeps, so another TTL or reduce/aggregate function would be ignored without a word. Equal
// options (a new but equal options object, a new closure of the same source) are the same declaration.

import type { AggregateFunction } from '../api/state.js';
import type { StateTtl, TtlConfig } from './ttl.js';

/** A reducing state's reduce function, an aggregating state's aggregate function, or none. */
export type StateFunction = ((a: never, b: never) => unknown) | AggregateFunction<never, never, never> | undefined;

/**
 * Whether a declaration's options ask for the TTL a state has, without allocating (a state may be declared again
 * on every record); anything not plainly equal (invalid values too) takes `redeclared`, which says why.
 */
export function sameDeclaration(ttl: TtlConfig | undefined, fn: StateFunction, options: StateTtl | undefined, fn2: StateFunction): boolean {
  if (options === undefined ? ttl !== undefined : ttl === undefined || options.ttlMs !== ttl.ttlMs
    || (options.update === undefined || options.update === 'write' ? ttl.readRenews : options.update !== 'read-write' || !ttl.readRenews)
    || (options.time === undefined || options.time === 'processing' ? ttl.eventTime : options.time !== 'event' || !ttl.eventTime)) return false;
  return sameFunction(fn, fn2);
}

/** What a second declaration differs in from the first (undefined: nothing), for a message: "was ..., now ...". */
export function redeclared(
  before: { ttl: TtlConfig | undefined; fn: StateFunction },
  after: { ttl: TtlConfig | undefined; fn: StateFunction },
): string | undefined {
  if (!sameTtl(before.ttl, after.ttl)) return `declared with ${ttlText(before.ttl)}, and again with ${ttlText(after.ttl)}`;
  if (!sameFunction(before.fn, after.fn)) {
    const what = typeof before.fn === 'function' ? 'reduce function' : 'aggregate function';
    return `declared with one ${what}, and again with another`;
  }
  return undefined;
}

function sameTtl(a: TtlConfig | undefined, b: TtlConfig | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.ttlMs === b.ttlMs && a.readRenews === b.readRenews && a.eventTime === b.eventTime;
}

function ttlText(t: TtlConfig | undefined): string {
  if (t === undefined) return 'no TTL';
  return `a TTL of ${t.ttlMs} ms (${t.eventTime ? 'event' : 'processing'} time, renewed on ${t.readRenews ? 'read and write' : 'write'})`;
}

/** Source text of the functions a state kept (`a` in sameCode), read once each. */
const sources = new WeakMap<object, string>();

/**
 * The same function, or one of the same source text (a closure made again per call). Source text says nothing of
 * a native or bound function ("[native code]"): those only by identity.
 */
function sameCode(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'function' || typeof b !== 'function') return false;
  let s = sources.get(a);
  if (s === undefined) { s = Function.prototype.toString.call(a); sources.set(a, s); }
  return !s.includes('[native code]') && s === Function.prototype.toString.call(b);
}

function sameFunction(a: StateFunction, b: StateFunction): boolean {
  if (a === b) return true;
  if (typeof a === 'function' || typeof b === 'function') return sameCode(a, b);
  if (a === undefined || b === undefined) return false;
  return sameCode(a.createAccumulator, b.createAccumulator) && sameCode(a.add, b.add) && sameCode(a.getResult, b.getResult)
    && (a.merge === b.merge || sameCode(a.merge, b.merge));
}
