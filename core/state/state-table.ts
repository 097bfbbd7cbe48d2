// Runs on: the worker thread of a keyed operator instance. One named keyed state: a value per key.
//
// Entries remember their key group (computed once, when the key is first written), so a snapshot can write one
// chunk per key group and a restore at another parallelism can move whole groups. With change tracking on
// (checkpointing), every entry written since the last snapshot is listed once, so a snapshot encodes only what
// changed (incremental), and removed keys are remembered as tombstones until the next snapshot.
//
// With a TTL, the Map's insertion order is kept equal to the order of the entries' position expiry (`posAt`: the
// expiry an entry had when it was last moved to the end), and posAt <= expiresAt, so expired entries are always at
// the front and cleaning them costs nothing for entries that are still alive. Without slack (event time, or the
// fast paths off) every write that extends the expiry moves the entry (posAt = expiresAt). With slack (processing
// time, fast paths on), a write moves its entry only once its expiry has run more than the slack past its
// position (a delete and set, ~100 ns, saved on most writes of a busy key); an entry then lies at most the slack
// early in the order. A full cleanup (snapshots) scans every entry whose position is due, removes the expired
// ones and passes the live ones (positioned within the slack before now), so it is as exact as before; the few
// removals on each write stop at the first live one, which may leave expired entries behind it for up to the
// slack (entry counts stay bounded: the live keys plus those expiring within the slack). Reads check `expiresAt`.
// (In event time, writes stamped with out-of-order record times keep the order only roughly: an expired entry
// behind a live one waits for it, at most the stream's out-of-orderness; reads never return it.)

import { keyGroupFor, type Key } from '../graph/key-groups.js';
import type { TtlConfig } from './ttl.js';
import type { KeyedTable } from './keyed-table.js';
import { applyPatch, mapChanges, PATCH_LIST_APPEND, PATCH_MAP_CHANGES, weightOf, type Patch } from './collection-deltas.js';

export interface StateEntry<V> {
  readonly key: Key;
  readonly kg: number;
  value: V;
  /**
   * Its number in its table's listing order when last listed as changed (listed this epoch: >= the epoch's first,
   * and the difference is its slot in the epoch's noted map keys); DELETED once removed from its table.
   */
  mark: number;
  /**
   * With a TTL: when the entry expires (on the TTL's clock). Entries of a table without a TTL have neither field
   * (plainEntry): two double fields are two heap numbers an entry, 48 bytes with their slots.
   */
  expiresAt: number;
  /** With a TTL: the expiry it had when last moved to the end of its table (its place in cleanup order); <= expiresAt. */
  posAt: number;
  /**
   * A list or map state's entry (see `collection`): the weight (elements, entries) of the value its last snapshot
   * or restore left, which a delta may patch (collection-deltas.ts); -1: the value is new or replaced since, and
   * is written whole.
   */
  base: number;
}

/** Whether the entry was removed from its table (an entry held past its removal, as a timer heap holds one). */
export function isRemoved(e: StateEntry<unknown>): boolean {
  return e.mark === DELETED;
}

/** An entry of a table without a TTL: no expiry fields (read only where a TTL is set). */
function plainEntry<V>(key: Key, kg: number, value: V): StateEntry<V> {
  return { key, kg, value, mark: 0, base: -1 } as StateEntry<V>;
}

/** Removed members of a key group, at least, before its member list is compacted (when they are half of it). */
const COMPACT_MEMBERS_FROM = 8;

/** The mark of an entry removed from its table: a snapshot skips it without looking its key up. */
const DELETED = -1;

/**
 * The weight (elements, entries) a list's or map's last snapshot must have left for a delta to patch it: a smaller
 * one is written whole, which costs a few bytes more and less time than tracking and encoding its changes.
 */
const MIN_PATCH_BASE = 8;

/**
 * Listing numbers (entries' marks) a table gives out before it numbers again from 1 at an epoch's start (every live
 * entry's mark back to 0): marks stay small integers. A variable so a spec can lower it.
 */
export const markLimit = { value: 2 ** 30 };

/** A map entry's noted map keys are an array (a scan, no allocation of a Set) up to this many, then a Set. */
const NOTED_IN_ARRAY = 16;

/** Entries removed at every write, at most, when a TTL is set: enough to outpace any write rate. */
const CLEANUP_PER_WRITE = 2;

/**
 * How far (ms) a processing-time entry's expiry may run past its place in cleanup order before a write moves it:
 * 1/16 of the TTL, at most a second (so an expired entry waits behind a live one at most that long). 0: every
 * write moves (event time, where out-of-order writes already loosen the order; and the fast paths off).
 */
function slackFor(ttl: TtlConfig | undefined, fastPaths: boolean): number {
  return ttl === undefined || ttl.eventTime || !fastPaths ? 0 : Math.min(ttl.ttlMs / 16, 1000);
}

function notedCount(ks: Key[] | Set<Key> | undefined): number {
  return ks === undefined ? 0 : Array.isArray(ks) ? ks.length : ks.size;
}

export class StateTable<V> implements KeyedTable {
  readonly entries = new Map<Key, StateEntry<V>>();
  /**
   * Per key group: entries written since the last snapshot (each once; it may have been removed since), and
   * entries removed. Kept by group as they happen, while the entry is at hand: a snapshot then never walks the
   * changed entries just to count or sort them (they are scattered over the heap, and each visit costs a cache
   * miss; encoding them is the one visit left).
   */
  private changed: (StateEntry<V>[] | undefined)[];
  /** Keys only: an entry held here would keep its value alive until the snapshot. */
  private removed: (Key[] | undefined)[];
  /**
   * Per key group (with tracking): every entry created since the group's last full snapshot, live or DELETED, and
   * how many of them are DELETED. A full chunk takes the live ones from here instead of walking the whole table;
   * compacted then, and once the DELETED are half of the list (else the entries of keys that expired, with their
   * values, stayed on the heap until the group's next full chunk, up to MAX_DELTA_CHAIN checkpoints).
   */
  private readonly members: StateEntry<V>[][];
  private readonly deadMembers: Int32Array;
  /** The last listing number given (mark); the first of this epoch: entries listed this epoch have mark >= it. */
  private seq = 0;
  private epochStart = 1;
  /** Set once the job declares the state (a table restored from a checkpoint is declared later). */
  ttl: TtlConfig | undefined;
  /** See slackFor. */
  private slackMs: number;
  /**
   * The TTL clock's reading by the last `entry` (NaN: it read none), for the write the same handle call makes next
   * (createAfterEntry, touchedAfterEntry): one clock read per list add or map put instead of two. Fast paths only.
   */
  private readAt = NaN;
  /**
   * Without a TTL, fast paths only: the entry `entry`, `put` or `create` last found or made, and its key. A handle's
   * value() then update() or clear() of a key, a reduce's read then write, or a key's timers registered one after
   * another, then look the key up once: `entry`, `put` and `remove` take this entry while it is the key's (a removal
   * clears it, and a removed entry is never its key's again: see `mark`).
   */
  private lastKey: Key | undefined = undefined;
  private lastEntry: StateEntry<V> | undefined = undefined;
  /**
   * The table's first entry, when known, and an iterator of the entries positioned just after it (fast paths): a
   * write's cleanup looks at `head` instead of starting an iterator, which skips every hole that deletes and moves
   * left at the front of the Map until it rehashes (thousands, on a busy table: it made each write O(holes)).
   * `head` is cleared when it is deleted or moved; `iter` then yields the new first entry, since everything before
   * the old one is gone and a Map only appends (an iterator sees entries added after it, and skips deleted ones).
   */
  private head: StateEntry<V> | undefined;
  private iter: Iterator<StateEntry<V>> | undefined;
  /**
   * Writes since `iter` was made. A V8 Map iterator keeps every table the Map rehashed into since its last step
   * alive (removed entries and all: 121 MB held after 3 M moves on 10 k keys), so it is dropped
   * once the writes outnumber the entries (a fresh one skips the holes once: O(1) a write, amortised).
   */
  private iterWrites = 0;
  /** Live entries per key group, kept up to date on every insert and delete (for the manifest's counts). */
  readonly counts: Int32Array;
  /**
   * A list or map state, written by its handles (set by the backend; undefined for every other table, and for a
   * window's): then a delta chunk patches an entry changed in place instead of writing it whole, and the group's
   * size is weighed in elements (see `units`).
   */
  collection: 'list' | 'map' | undefined;
  /** Per key group (collections): the sum of the live entries' `base` (weights as last snapshotted, or restored). */
  private units: Float64Array | undefined;
  /**
   * A map state's patchable entries listed this epoch: at `mark - epochStart`, the map keys the entry had put or
   * removed since its snapshot, in first-change order (undefined: none, or not patchable). Found from the entry
   * by its mark, where a Map by entry and a Set per entry cost a lookup and an add per put (puts ran at 0.6x).
   */
  private noted: (Key[] | Set<Key> | undefined)[] = [];
  /**
   * Per key group (with tracking): this table's encoded part of the group's last full chunk, while no entry of the
   * group has changed since (any write or removal drops it). The group's next full chunk takes it as it is: a
   * group written in full at its turn re-encodes only its tables that changed (end-of-input timers firing beside
   * state they leave alone re-encoded all of it, an eighth of the state per checkpoint).
   */
  private sections: (Uint8Array | undefined)[];
  /**
   * Per key group, from this snapshot's `weigh` to its takeChanges: the changed entries a delta patches, as their
   * index in the group's changed list and the base the patch applies to (undefined: none in the group).
   */
  private patchable: (number[] | undefined)[] | undefined;

  constructor(
    readonly name: string,
    private readonly maxParallelism: number,
    /** List changes for incremental snapshots (off when the job does not checkpoint: a fast path). */
    readonly tracking: boolean,
    ttl: TtlConfig | undefined,
    /** The TTL's clock, in ms: entries are stamped with it, and a read finds an entry expired by it. */
    private now: () => number,
    /**
     * The clock background cleanup goes by. Event time: the watermark, which no record still to come is behind,
     * while `now` is the current record's time (cleaning by it could remove what an out-of-order record of
     * another key may still read).
     */
    private cleanNow: () => number = now,
    /** TTL fast paths (slack in cleanup order, one clock read per handle call); false: as before them. */
    private readonly fastPaths = true,
  ) {
    this.ttl = ttl;
    this.slackMs = slackFor(ttl, fastPaths);
    this.counts = new Int32Array(maxParallelism);
    this.changed = new Array(maxParallelism);
    this.removed = new Array(maxParallelism);
    // Sized up front: a store far past the end of an empty array can make it a dictionary (a slow store per change).
    this.sections = new Array(maxParallelism);
    this.members = tracking ? Array.from({ length: maxParallelism }, () => []) : [];
    this.deadMembers = new Int32Array(maxParallelism);
  }

  get size(): number {
    return this.entries.size;
  }

  keys(): Iterable<Key> {
    return this.entries.keys();
  }

  /**
   * The live entry of `key`, or undefined (expired entries are never returned). An expired one is removed then, but
   * in event time only once the watermark has passed its expiry too: a record at a later time hides it from itself,
   * not from one at an earlier time that comes after it (not late: it still sees what was written before it).
   */
  entry(key: Key): StateEntry<V> | undefined {
    if (this.ttl === undefined) {
      // Fast paths: the key last found or made (a process function reads a state, a key registers timers, a few
      // times a record): no Map lookup.
      const last = this.lastEntry;
      if (last !== undefined && key === this.lastKey && last.mark !== DELETED) return last;
      const e = this.entries.get(key);
      if (e !== undefined && this.fastPaths) { this.lastKey = key; this.lastEntry = e; }
      return e;
    }
    const e = this.entries.get(key);
    if (e === undefined) {
      this.readAt = NaN;
      return e;
    }
    const now = this.now();
    this.readAt = now;
    if (e.expiresAt <= now) {
      if (!this.ttl.eventTime || e.expiresAt <= this.cleanNow()) this.delete(e);
      return undefined;
    }
    if (this.ttl.readRenews) {
      this.renew(e, now);
      // A renewal is a change: a snapshot that left it out would restore the older expiry.
      this.mark(e);
    }
    return e;
  }

  get(key: Key): V | undefined {
    return this.entry(key)?.value;
  }

  /** Sets the value of `key`, creating its entry. */
  put(key: Key, value: V): StateEntry<V> {
    const last = this.lastEntry;
    const e = last !== undefined && key === this.lastKey && last.mark !== DELETED ? last : this.entries.get(key);
    // No entry at all, hidden or not: no need to look again.
    if (e === undefined) {
      if (this.ttl !== undefined) return this.createExpiring(key, value, this.now(), true);
      return this.create(key, value);
    }
    e.value = value;
    // Replaced: the next snapshot writes it whole.
    if (e.base >= 0) this.rebase(e);
    if (this.ttl !== undefined) this.renew(e, this.now());
    this.mark(e);
    return e;
  }

  /** The entry is written whole at the next snapshot (its patch base is gone): its weight leaves the group's units. */
  private rebase(e: StateEntry<V>): void {
    if (this.units !== undefined) this.units[e.kg]! -= e.base;
    e.base = -1;
    const i = e.mark - this.epochStart;
    if (i >= 0 && i < this.noted.length) this.noted[i] = undefined;
  }

  /** The map keys noted for a map entry listed this epoch (mapKeyChanged), if any. */
  private notedOf(e: StateEntry<V>): Key[] | Set<Key> | undefined {
    const i = e.mark - this.epochStart;
    return i >= 0 && i < this.noted.length ? this.noted[i] : undefined;
  }

  /**
   * A map state's map key `mk` was put or removed in the entry in place (the caller then calls touchedAfterEntry):
   * noted for the entry's patch. Once more of its map keys changed than half of it, it is written whole instead.
   */
  mapKeyChanged(e: StateEntry<V>, mk: Key): void {
    if (!this.tracking || e.base < MIN_PATCH_BASE) return;
    // Listed now (touchedAfterEntry, next, finds it listed): its mark is its slot in `noted`.
    this.mark(e);
    const i = e.mark - this.epochStart;
    const noted = this.noted;
    let n: number;
    if (i >= noted.length) {
      // Slots of entries listed since with nothing noted stay undefined (filled: no holes far past the end).
      while (noted.length < i) noted.push(undefined);
      noted.push([mk]);
      n = 1;
    } else {
      const ks = noted[i];
      if (ks === undefined) { noted[i] = [mk]; n = 1; }
      // includes compares as a Set does (SameValueZero).
      else if (Array.isArray(ks)) n = ks.includes(mk) ? ks.length : ks.length < NOTED_IN_ARRAY ? ks.push(mk) : (noted[i] = new Set(ks).add(mk)).size;
      else n = ks.add(mk).size;
    }
    if (n * 2 > (e.value as Map<Key, unknown>).size + 1) this.rebase(e);
  }

  /** Creates the entry of a key that has none (the caller has just looked): one Map lookup fewer than `put`. */
  create(key: Key, value: V): StateEntry<V> {
    if (this.ttl !== undefined) return this.createExpiring(key, value, this.now());
    const e = plainEntry(key, keyGroupFor(key, this.maxParallelism), value);
    this.entries.set(key, e);
    if (this.fastPaths) { this.lastKey = key; this.lastEntry = e; }
    this.counts[e.kg]!++;
    if (this.tracking) this.members[e.kg]!.push(e);
    this.mark(e);
    return e;
  }

  /** `create` with a TTL: stamped before it goes in, so it lands at the end (where a renewal used to move it). */
  private createExpiring(key: Key, value: V, now: number, absent = false): StateEntry<V> {
    // In event time an expired entry may still be there, hidden from this record (`entry`): it goes first.
    if (this.ttl!.eventTime && !absent) {
      const old = this.entries.get(key);
      if (old !== undefined) this.delete(old);
    }
    const at = now + this.ttl!.ttlMs;
    const e: StateEntry<V> = { key, kg: keyGroupFor(key, this.maxParallelism), value, mark: 0, expiresAt: at, posAt: at, base: -1 };
    this.entries.set(key, e);
    this.counts[e.kg]!++;
    if (this.tracking) this.members[e.kg]!.push(e);
    this.cleanup(this.cleanNow === this.now ? now : this.cleanNow(), CLEANUP_PER_WRITE, e);
    this.mark(e);
    return e;
  }

  /** The entry's value was changed in place (a list or map state): list it for the next snapshot. */
  touched(e: StateEntry<V>): void {
    if (this.ttl !== undefined) this.renew(e, this.now());
    this.mark(e);
  }

  /**
   * `create` by a handle call whose `entry` read of the key, just before and with no user code in between, found
   * none (a list add, a map put): with the fast paths the entry is stamped by that read's clock reading, one clock
   * read per call instead of two (the call is one instant).
   */
  createAfterEntry(key: Key, value: V): StateEntry<V> {
    return this.ttl !== undefined && this.fastPaths ? this.createExpiring(key, value, this.clockAfterEntry()) : this.create(key, value);
  }

  /** `touched` by a handle call that read the entry by `entry` just before (as for createAfterEntry). */
  touchedAfterEntry(e: StateEntry<V>): void {
    if (this.ttl !== undefined) this.renew(e, this.fastPaths ? this.clockAfterEntry() : this.now());
    this.mark(e);
  }

  /** The last `entry`'s clock reading (it read none when the key had no entry: then the clock's). */
  private clockAfterEntry(): number {
    const at = this.readAt;
    // Used once: a later write without its own `entry` read goes by the clock.
    this.readAt = NaN;
    return at === at ? at : this.now();
  }

  /** Lists the entry for the next snapshot (once per epoch). */
  private mark(e: StateEntry<V>): void {
    // A removed entry is never written again (a new write creates a new entry), so DELETED stays: listing one
    // would write it into the next chunk beside counts that left it out, and that checkpoint could not restore.
    if (this.tracking && e.mark < this.epochStart && e.mark !== DELETED) {
      e.mark = ++this.seq;
      (this.changed[e.kg] ??= []).push(e);
      // Kept sections are made at a snapshot, which starts a new epoch: any change after one comes through here.
      this.sections[e.kg] = undefined;
    }
  }

  remove(key: Key): void {
    // A value() then clear() looks the key up once (fast paths; lastEntry is set only without a TTL).
    const last = this.lastEntry;
    const e = last !== undefined && key === this.lastKey && last.mark !== DELETED ? last : this.entries.get(key);
    if (e !== undefined) this.delete(e);
  }

  /** Removes a live entry the caller holds (from `entry`): `remove` without looking the key up again. */
  delete(e: StateEntry<V>): void {
    if (e === this.head) this.head = undefined;
    if (e === this.lastEntry) this.lastEntry = undefined;
    this.entries.delete(e.key);
    this.counts[e.kg]!--;
    e.mark = DELETED;
    if (e.base >= 0) this.rebase(e);
    if (this.tracking) {
      (this.removed[e.kg] ??= []).push(e.key);
      this.memberDied(e.kg);
      this.sections[e.kg] = undefined;
    }
  }

  /** A member of group kg was removed: compacts its list once they are half of it (amortised O(1) a removal). */
  private memberDied(kg: number): void {
    const dead = ++this.deadMembers[kg]!;
    const members = this.members[kg]!;
    if (dead < COMPACT_MEMBERS_FROM || dead * 2 < members.length) return;
    let j = 0;
    for (let i = 0; i < members.length; i++) {
      const m = members[i]!;
      if (m.mark !== DELETED) members[j++] = m;
    }
    members.length = j;
    this.deadMembers[kg] = 0;
  }

  private renew(e: StateEntry<V>, now: number): void {
    // Never shortens a lifetime (an out-of-order event-time write, a wall clock stepped back); Infinity: unset.
    const at = now + this.ttl!.ttlMs;
    if (e.expiresAt === Infinity || at > e.expiresAt) {
      e.expiresAt = at;
      // Keep insertion order = position order: move the entry to the end once its expiry ran past its position by
      // more than the slack. Only when its expiry moved: moving one that kept an earlier expiry would put it behind
      // later ones, where cleanup (which stops at the first entry not yet due) does not reach it, and a snapshot
      // writes it after it expired.
      if (at - e.posAt > this.slackMs || e.posAt === Infinity) {
        e.posAt = at;
        if (e === this.head) this.head = undefined;
        this.entries.delete(e.key);
        this.entries.set(e.key, e);
      }
    }
    this.cleanup(this.cleanNow === this.now ? now : this.cleanNow(), CLEANUP_PER_WRITE, e);
  }

  /**
   * Removes up to `max` expired entries (oldest first), never `keep`; returns how many. With `max` finite (a write's
   * share) it stops at the first live entry; with no limit it passes live entries whose position is due (they lie
   * within the slack before now: each full cleanup passes each at most once) and stops at the first not due, so
   * every expired entry goes (posAt <= expiresAt, in position order). `keep` is the entry being
   * written: in an event-time timer its time is the timer's, while cleanup runs by the watermark, which may be past
   * the new expiry already. Removing it there would lose the write at once, and the entry (marked again by the
   * write) go into the next snapshot beside counts that leave it out: a checkpoint that cannot restore.
   */
  cleanup(now = this.cleanNow(), max = Infinity, keep?: StateEntry<V>): number {
    if (this.ttl === undefined) return 0;
    let n = 0;
    if (this.fastPaths) {
      if (this.iter !== undefined && ++this.iterWrites > this.entries.size && this.iterWrites > 1024) this.iter = undefined;
      let e = this.first();
      if (max !== Infinity) {
        // A write's share: the first entries while they are expired (the rule of the loop below, without passing).
        while (e !== undefined && n < max && e !== keep && e.expiresAt <= now) {
          this.delete(e);
          n++;
          e = this.first();
        }
        return n;
      }
      if (e === undefined || e.posAt > now || e === keep) return 0;
    }
    for (const e of this.entries.values()) {
      if (n >= max || e.posAt > now || e === keep) break;
      if (e.expiresAt <= now) {
        this.delete(e);
        n++;
      } else if (max !== Infinity) {
        break;
      }
    }
    // `iter` was not stepped past what this loop removed: it would keep every table the Map shrank out of alive
    // (all of a mass expiry's entries, values and all, until the next write). The next write starts another.
    if (n > 0) { this.iter = undefined; this.head = undefined; }
    return n;
  }

  /** The first entry (fast paths): `head`, or the next one `iter` yields. */
  private first(): StateEntry<V> | undefined {
    if (this.head !== undefined) return this.head;
    let r = this.iter?.next();
    // An iterator that has run out stays done, even once entries are added: start another.
    if (r === undefined || r.done === true) {
      this.iter = this.entries.values();
      this.iterWrites = 0;
      r = this.iter.next();
      if (r.done === true) {
        this.iter = undefined;
        return undefined;
      }
    }
    return (this.head = r.value);
  }

  /**
   * Makes this a list or map state's table (with tracking: without, every snapshot is full and nothing is patched).
   * Entries it holds already (restored) become patchable from their values.
   */
  setCollection(kind: 'list' | 'map'): void {
    if (!this.tracking) return;
    this.collection = kind;
    this.units = new Float64Array(this.maxParallelism);
    this.rebaseAll();
  }

  /** Every entry's base is its value as it is now (restored, or just written in full). */
  private rebaseAll(): void {
    const units = this.units;
    if (units === undefined) return;
    units.fill(0);
    this.noted = [];
    for (const e of this.entries.values()) units[e.kg]! += (e.base = weightOf(e.value));
  }

  /**
   * Adds, per key group, what a delta chunk of this table would write, and the group's size, in the same units:
   * an entry or tombstone each, except that a list or map state counts elements and entries (a value written
   * whole counts its weight, a patch what it appends or changes), so a chain of patches to a long list ends once
   * they add up to the list, not at once. A list or map state's changed entries are settled here (see `weigh`):
   * once per snapshot, and its takeChanges follows.
   */
  changeUnits(wrote: Float64Array, size: Float64Array): void {
    if (this.units !== undefined) { this.weigh(wrote, size); return; }
    for (let kg = 0; kg < this.maxParallelism; kg++) {
      wrote[kg]! += (this.removed[kg]?.length ?? 0) + (this.changed[kg]?.length ?? 0);
      size[kg]! += this.counts[kg]!;
    }
  }

  /**
   * A list or map state's one pass over its changed entries in a snapshot: each is weighed once and settled (its
   * value now is the base of its next patch) whether its group is then written full or as a delta, and the entries
   * this delta may patch are noted with the base they had (`patchable`). takeChanges then visits changed entries
   * again only in the groups that have one to patch. Adds the chain's measure when given (changeUnits).
   */
  private weigh(wrote: Float64Array | undefined, size: Float64Array | undefined): void {
    const units = this.units!;
    const patchable: (number[] | undefined)[] = this.patchable = new Array(this.maxParallelism);
    const list = this.collection === 'list';
    for (let kg = 0; kg < this.maxParallelism; kg++) {
      const changed = this.changed[kg];
      let w8 = this.removed[kg]?.length ?? 0;
      if (changed !== undefined) {
        let delta = 0;
        for (let i = 0; i < changed.length; i++) {
          const e = changed[i]!;
          if (e.mark === DELETED) continue;
          const w = weightOf(e.value);
          const base = e.base;
          delta += w - (base < 0 ? 0 : base);
          if (base < MIN_PATCH_BASE) w8 += w;
          else {
            w8 += Math.max(1, list ? w - base : notedCount(this.notedOf(e)));
            // Its index in `changed` and the base its patch applies to.
            (patchable[kg] ??= []).push(i, base);
          }
          e.base = w;
        }
        units[kg]! += delta;
      }
      if (wrote !== undefined) wrote[kg]! += w8;
      if (size !== undefined) size[kg]! += units[kg]!;
    }
  }

  /** How many entries of each key group changed (written or removed) since the last snapshot. */
  changeCounts(into: Int32Array): void {
    for (let kg = 0; kg < this.maxParallelism; kg++) into[kg]! += (this.changed[kg]?.length ?? 0) + (this.removed[kg]?.length ?? 0);
  }

  /**
   * The changes since the last snapshot, by key group: entries written (and still present) and keys removed;
   * for key groups where `full[kg] === 1`, every live entry instead (and no tombstones). Starts a new epoch.
   * No cleanup here: the caller cleans before it counts entries, and a clock that moved since would make the
   * chunks disagree with those counts.
   */
  takeChanges(full: Uint8Array, anyFull: boolean): Map<number, { puts: StateEntry<unknown>[]; dels: Key[]; patches?: Patch[]; section?: Uint8Array }> {
    const out = new Map<number, { puts: StateEntry<unknown>[]; dels: Key[]; patches?: Patch[]; section?: Uint8Array }>();
    // Not weighed by changeUnits this snapshot (a caller that needs no chain measure): weighed now.
    if (this.units !== undefined && this.patchable === undefined) this.weigh(undefined, undefined);
    if (anyFull && !this.tracking) {
      // No member lists without tracking (a savepoint of a job that does not checkpoint): walk the table once.
      const all: (StateEntry<V>[] | undefined)[] = new Array(this.maxParallelism);
      for (const e of this.entries.values()) if (full[e.kg] === 1) (all[e.kg] ??= []).push(e);
      for (let kg = 0; kg < all.length; kg++) if (all[kg] !== undefined) out.set(kg, { puts: all[kg]!, dels: [] });
    } else if (anyFull) {
      for (let kg = 0; kg < this.maxParallelism; kg++) {
        if (full[kg] !== 1) continue;
        // Unchanged since its last full chunk (nothing listed either, so no base to settle): that chunk's part.
        const section = this.sections[kg];
        if (section !== undefined) { out.set(kg, { puts: [], dels: [], section }); continue; }
        // Full group: its live members (a copy: the member list goes on growing after this snapshot).
        let live = this.members[kg]!;
        if (this.deadMembers[kg]! > 0) {
          live = live.filter((e) => e.mark !== DELETED);
          this.members[kg] = live;
          this.deadMembers[kg] = 0;
        }
        // Its changed entries' bases moved to their values in `weigh` (the others' still hold).
        if (live.length > 0) out.set(kg, { puts: live.slice(), dels: [] });
      }
    }
    for (let kg = 0; kg < this.maxParallelism; kg++) {
      if (full[kg] === 1) continue;
      const removed = this.removed[kg];
      let puts = this.changed[kg];
      const dels: Key[] = [];
      // Removed, then written again: the live entry (listed in `changed`) wins.
      if (removed !== undefined) for (const k of removed) if (this.entries.get(k) === undefined) dels.push(k);
      const patchable = this.patchable?.[kg];
      if (patchable !== undefined) {
        const { whole, patches } = this.patch(puts!, patchable);
        out.set(kg, { puts: whole, dels, patches });
        continue;
      }
      // A changed entry still in the table is the key's live entry: removal marks it DELETED, and a key written
      // again after a removal gets a new entry object. (Without removals in the group, none is DELETED.)
      if (removed !== undefined && puts !== undefined) puts = puts.filter((e) => e.mark !== DELETED);
      if ((puts !== undefined && puts.length > 0) || dels.length > 0) out.set(kg, { puts: puts ?? [], dels });
    }
    this.changed = new Array(this.maxParallelism);
    this.removed = new Array(this.maxParallelism);
    this.patchable = undefined;
    this.newEpoch();
    return out;
  }

  /** Entries listed from now on are of the next epoch; numbering starts again (marks to 0) past markLimit. */
  private newEpoch(): void {
    this.noted = [];
    if (this.seq >= markLimit.value) {
      for (const e of this.entries.values()) e.mark = 0;
      this.seq = 0;
    }
    this.epochStart = this.seq + 1;
  }

  /**
   * Keeps `section`, this table's part of group kg's full chunk just encoded from it, for the group's next full chunk
   * (until an entry of the group changes). Only with tracking: without, no change would drop it.
   */
  keepSection(kg: number, section: Uint8Array): void {
    if (this.tracking) this.sections[kg] = section;
  }

  /**
   * A list or map state's changed entries of a delta group that has entries to patch (`patchable`, from `weigh`:
   * index in `changed` and base, in order): those as patches, the others (not removed) whole.
   */
  private patch(changed: StateEntry<V>[], patchable: number[]): { whole: StateEntry<unknown>[]; patches: Patch[] } {
    const whole: StateEntry<unknown>[] = [];
    const patches: Patch[] = [];
    let next = 0;
    for (let i = 0; i < changed.length; i++) {
      const e = changed[i]!;
      if (i === patchable[next]) {
        const base = patchable[next + 1]!;
        next += 2;
        if (this.collection === 'list') patches.push({ entry: e, op: PATCH_LIST_APPEND, payload: (e.value as unknown[]).slice(base) });
        else patches.push({ entry: e, op: PATCH_MAP_CHANGES, payload: mapChanges(e.value as Map<Key, unknown>, this.notedOf(e) ?? []) });
      } else if (e.mark !== DELETED) whole.push(e);
    }
    return { whole, patches };
  }

  /** Restore: sets an entry as it was snapshotted (not listed as a change). */
  restorePut(key: Key, kg: number, value: V, expiresAt: number): void {
    this.sections[kg] = undefined;
    const old = this.entries.get(key);
    if (old !== undefined) {
      // A later chunk of the chain updates the entry in place (restoreDone puts TTL tables back in expiry order).
      old.value = value;
      if (this.ttl !== undefined) old.expiresAt = old.posAt = expiresAt;
      return;
    }
    const e: StateEntry<V> = this.ttl === undefined ? plainEntry(key, kg, value) : { key, kg, value, mark: 0, expiresAt, posAt: expiresAt, base: -1 };
    this.entries.set(key, e);
    this.counts[kg]!++;
    if (this.tracking) this.members[kg]!.push(e);
  }

  /** Restore: applies a patch to the entry of `key` (not listed as a change); a reason when it does not apply. */
  restorePatch(key: Key, op: unknown, payload: unknown, expiresAt: number): string | undefined {
    const e = this.entries.get(key);
    const r = applyPatch(e?.value, op, payload);
    if (typeof r === 'string') return r;
    this.sections[e!.kg] = undefined;
    // Without a TTL an entry has no expiry fields (plainEntry): set here, they gave it a third shape.
    if (this.ttl !== undefined) e!.expiresAt = e!.posAt = expiresAt;
    return undefined;
  }

  restoreDelete(key: Key): void {
    const old = this.entries.get(key);
    if (old === undefined) return;
    if (old === this.head) this.head = undefined;
    if (old === this.lastEntry) this.lastEntry = undefined;
    this.sections[old.kg] = undefined;
    this.entries.delete(key);
    this.counts[old.kg]!--;
    old.mark = DELETED;
    if (this.tracking) this.memberDied(old.kg);
  }

  /** A restored table, once the job declares it: its TTL from the declaration (entries keep their expiry). */
  configure(ttl: TtlConfig | undefined, now: () => number, cleanNow: () => number = now): void {
    this.sections = new Array(this.maxParallelism);
    this.ttl = ttl;
    this.slackMs = slackFor(ttl, this.fastPaths);
    this.now = now;
    this.cleanNow = cleanNow;
    this.restoreDone();
  }

  /** After a restore: put the entries back in expiry order, which the TTL cleanup relies on. */
  restoreDone(): void {
    // Restored entries went in out of order, and some came out: the first entry is looked for again.
    this.head = undefined;
    this.lastEntry = undefined;
    this.iter = undefined;
    this.rebaseAll();
    if (this.ttl === undefined) return;
    const sorted = [...this.entries.values()].sort((a, b) => a.expiresAt - b.expiresAt);
    this.entries.clear();
    for (const e of sorted) {
      e.posAt = e.expiresAt;
      this.entries.set(e.key, e);
    }
  }
}
