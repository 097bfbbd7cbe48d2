// Runs on: the worker thread of a subtask taking a snapshot. State packed at the barrier, in the checkpoint chunks'
// msgpack settings (chunk-packr.ts): the bytes are a copy later records cannot reach (an unaligned checkpoint lets
// them in before the snapshot leaves the thread), and the chunk write copies them as they are. Used for a broadcast
// process function's own state (own-state.ts) and for broadcast state (broadcast-states.ts).

import { Packr } from 'msgpackr';
import { chunkPackOptions } from '../checkpoint/chunk-packr.js';
import { JobDefinitionError } from '../api/errors.js';

/** What structured clone refused at the barrier and msgpack writes as something else: nothing may be lost without a word. */
class Unwritable extends Error {}

function unwritable(what: string): never {
  throw new Unwritable(what);
}

/**
 * Called for each object msgpack would write as a record (what useRecords: true does): plain objects and class
 * instances only. A built-in it has no extension for (a WeakMap, a Promise, an iterator such as a Map's values(), a
 * generator, a FinalizationRegistry) says so in its tag, and would be written as an empty record: refused.
 */
function writable(o: object): boolean {
  const tag = Object.prototype.toString.call(o);
  if (tag !== '[object Object]' || o instanceof WeakMap || o instanceof WeakSet || o instanceof WeakRef || o instanceof Promise) {
    unwritable(`a ${tag.slice(8, -1) === 'Object' ? o.constructor?.name ?? 'value' : tag.slice(8, -1)}`);
  }
  return true;
}

/**
 * `value`'s bytes, taken now: an exact-size copy (a pack is a view of msgpackr's shared buffer, which postMessage
 * would carry whole). What it cannot write (a function msgpack writes as nothing, a WeakMap or a Promise as an empty
 * object, a symbol, a cycle) is a JobDefinitionError, "`what` holds a function, ...: `hint`": every checkpoint would
 * meet it again. A new Packr each call: one reused leaves out record shapes an earlier pack wrote.
 */
export function packAtBarrier(value: unknown, what: string, hint: string): Uint8Array {
  // useToJSON off: an object is written as its fields, as structured clone kept it (format 1), not as what its
  // toJSON returns (a money class's '150 EUR').
  const packr = new Packr({ ...chunkPackOptions(), useRecords: writable, useToJSON: false, writeFunction: () => unwritable('a function') });
  try {
    return new Uint8Array(packr.pack(value));
  } catch (e) {
    const why = e instanceof Unwritable ? `holds ${e.message}, which a checkpoint cannot keep` : `cannot be written to a checkpoint (${(e as Error).message})`;
    throw new JobDefinitionError(`${what} ${why}: ${hint}`);
  }
}
