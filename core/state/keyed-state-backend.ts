// Runs on: the worker thread of a keyed operator instance. All keyed state of the instance: named tables, the
// current key that scopes every handle, and snapshots by key group.
//
// Snapshots are incremental per key group: a group's chunk holds what changed since the last checkpoint, until
// the deltas written since the group's last full chunk add up to as many entries as the group holds (or the
// chain grows long); then the group is written in full again. So a restore reads at most a few chunks per
// group, and an unchanged group costs nothing at all. A long chain ends at the group's turn (one group in
// MAX_DELTA_CHAIN per snapshot; a chain never outgrows MAX_DELTA_CHAIN): groups that all change at every
// checkpoint would otherwise be written in full at the same one, all the state at once, stalling the task.

import { JobDefinitionError } from '../api/errors.js';
import type {
  AggregateFunction, AggregatingState, KeyedStateStore, ListState, MapState, ReducingState, StateOptions, ValueState,
} from '../api/state.js';
import { keyGroupFor, type Key } from '../graph/key-groups.js';
import type { KeyGroupChunk } from '../checkpoint/snapshot.js';
import { StateTable } from './state-table.js';
import { TypedStateTable } from './typed-state-table.js';
import type { KeyedTable } from './keyed-table.js';
import type { FieldDef } from '../../shm/codec/schema.js';
import { ttlConfig } from './ttl.js';
import { checkKnownOptions } from '../api/known-options.js';
import { redeclared, sameDeclaration, type StateFunction } from './redeclaration.js';
import { NO_KEY } from './no-key.js';
import { AggregatingHandle, ListHandle, MapHandle, ReducingHandle, ValueHandle } from './state-handles.js';
import { ChunkEncoder, decodeKeyGroup, KeyGroupFormatError, StateSchemaRestoreError, type StateKind, type TableChanges } from './key-group-codec.js';
import { PATCH_MAP_CHANGES, weightOf } from './collection-deltas.js';

/** Names of per-window states' tables start with this (a window function's `windowState`). */
export const WINDOW_STATE_PREFIX = '__window/';

/** A state as its job named it, in messages: a window function's per-window state is kept under a prefix. */
function stateLabel(name: string): string {
  return name.startsWith(WINDOW_STATE_PREFIX) ? `window state '${name.slice(WINDOW_STATE_PREFIX.length)}'` : `state '${name}'`;
}

const STATE_OPTION_KEYS = Object.keys({ ttl: true } satisfies Record<keyof StateOptions, true>);

/** Longest run of delta chunks for one key group before it is written in full again. */
export const MAX_DELTA_CHAIN = 8;

export interface StateClocks {
  /** Processing time, ms (wall clock). */
  processing(): number;
  /**
   * Event time of the record (or timer) being processed: its timestamp, or the watermark when it has none or is
   * late. Event-time TTL stamps writes and checks reads with it, so what a record sees does not depend on when
   * watermarks happened to arrive.
   */
  event(): number;
  /** The task's watermark: event-time TTL cleans up in the background by it (default: `event`). */
  watermark?(): number;
}

type Kind = StateKind;
/** A table restored from a checkpoint that the job has not asked for yet. */
type SlotKind = Kind | 'restored';
interface Slot {
  kind: SlotKind;
  table: KeyedTable;
  handle: unknown;
  /** A restored table's kind as its checkpoint recorded it (undefined: an older checkpoint, not recorded). */
  restoredKind?: Kind | undefined;
  /** As declared: the reduce or aggregate function, and the last options object found equal (a fast path). */
  fn?: StateFunction;
  options?: StateOptions | undefined;
}

export class KeyedStateBackend implements KeyedStateStore {
  /**
   * The key that every handle reads and writes; set by the operator before each record or timer. NO_KEY until
   * then (open()): handles refuse it.
   */
  currentKey: Key = NO_KEY;
  private readonly tables = new Map<string, Slot>();
  /**
   * Per key group: delta chunks written since its last full chunk, and what they carried (entries and tombstones;
   * a list's or map's elements, see StateTable.changeUnits).
   */
  private readonly chain: Int32Array;
  private readonly sinceFull: Float64Array;
  /** Snapshots taken: with the key group, whose turn it is to end its delta chain. */
  private snapshots = 0;
  readonly encoder: ChunkEncoder;

  constructor(
    readonly operatorName: string,
    readonly maxParallelism: number,
    /** Track changes for incremental snapshots (on when the job checkpoints). */
    readonly tracking: boolean,
    private readonly clocks: StateClocks,
    /** Encode chunks as typed columns (format 4); false: msgpack rows (format 2). A fast path's switch. */
    readonly columns = true,
    /**
     * Fast paths' switch (RunOptions.stateFastPaths): typed tables keep int32 keys in KeySlots (false: in a Map);
     * TTL tables move entries in cleanup order only past a slack, and read the clock once per list or map write.
     */
    private readonly fastPaths = true,
  ) {
    this.chain = new Int32Array(maxParallelism);
    this.sinceFull = new Float64Array(maxParallelism);
    this.encoder = new ChunkEncoder(columns);
  }

  /** The table behind a state name, created on first use. */
  table<V>(name: string, kind: Kind, options: StateOptions | undefined): StateTable<V> {
    return this.slot<V>(name, kind, options, undefined, () => undefined).table;
  }

  /**
   * The table behind a state whose values follow a record schema (typed columns), created on first use; before
   * any restore, so restored entries land in its columns.
   */
  typedTable<V>(name: string, fields: readonly FieldDef[], owner: string): TypedStateTable<V> {
    const s = this.tables.get(name);
    if (s !== undefined) {
      if (!(s.table instanceof TypedStateTable)) throw new JobDefinitionError(`operator '${this.operatorName}': state '${name}' already exists without a state schema`);
      return s.table as TypedStateTable<V>;
    }
    const table = new TypedStateTable<V>(name, this.maxParallelism, this.tracking, fields, owner, this.fastPaths);
    this.tables.set(name, { kind: 'internal', table, handle: undefined });
    return table;
  }

  private slot<V>(name: string, kind: Kind, options: StateOptions | undefined, fn: StateFunction, makeHandle: (t: StateTable<V>) => unknown, windowed = false): { table: StateTable<V>; handle: unknown } {
    // A state of the job's own under the window states' prefix would share a table with a window state of that name.
    if (!windowed && name.startsWith(WINDOW_STATE_PREFIX)) throw new JobDefinitionError(`operator '${this.operatorName}': state '${name}': names starting with '${WINDOW_STATE_PREFIX}' are the engine's (a window function's windowState); give the state another name`);
    const s = this.tables.get(name);
    if (s !== undefined && s.table instanceof TypedStateTable) throw new JobDefinitionError(`operator '${this.operatorName}': ${stateLabel(name)} has a state schema; it is not a ${kind} state`);
    if (s !== undefined && s.kind !== 'restored') {
      if (s.kind !== kind) throw new JobDefinitionError(`operator '${this.operatorName}': ${stateLabel(name)} is a ${s.kind} state, not a ${kind} state`);
      // The same options object may have been changed since (its TTL read again: a few comparisons, no garbage).
      if (options !== s.options || fn !== s.fn || !sameTtlAsked(s, options)) this.checkRedeclared(name, s, options, fn);
      return s as unknown as { table: StateTable<V>; handle: unknown };
    }
    // First declarations only: a handle asked for again per record does not pay for it.
    if (options !== undefined && options !== null) checkKnownOptions(options, STATE_OPTION_KEYS, `operator '${this.operatorName}', ${stateLabel(name)}`);
    const ttl = ttlConfig(options?.ttl, `operator '${this.operatorName}', ${stateLabel(name)}`);
    const clock = ttl?.eventTime ? this.clocks.event : this.clocks.processing;
    const cleanClock = ttl?.eventTime ? this.clocks.watermark ?? this.clocks.event : clock;
    if (s !== undefined) {
      // Read back as another kind, the entries would be misread (a list's array as a value): refused, as Flink
      // refuses a state descriptor of another type.
      if (s.restoredKind !== undefined && s.restoredKind !== kind) {
        throw new JobDefinitionError(`operator '${this.operatorName}': ${stateLabel(name)} was checkpointed as a ${s.restoredKind} state, and this job reads it as a ${kind} state. Read it as a ${s.restoredKind} state, or give the state a new name`);
      }
      // Entries restored without an expiry would never expire, and a TTL dropped would keep expiring them on the
      // placeholder clock: refused both ways, as Flink refuses a TTL change on restore.
      const restoredTtl = (s.table as StateTable<unknown>).ttl !== undefined;
      if (restoredTtl !== (ttl !== undefined)) {
        throw new JobDefinitionError(`operator '${this.operatorName}': ${stateLabel(name)} was checkpointed ${restoredTtl ? 'with' : 'without'} a TTL, and this job declares it ${ttl ? 'with' : 'without'} one: its entries' expiry cannot carry over. Keep the state's TTL setting, or give the state a new name`);
      }
      s.table.configure(ttl, clock, cleanClock);
      s.kind = kind;
      s.fn = fn;
      s.options = options;
      s.handle = makeHandle(s.table as StateTable<V>);
      return s as unknown as { table: StateTable<V>; handle: unknown };
    }
    const table = new StateTable<V>(name, this.maxParallelism, this.tracking, ttl, clock, cleanClock, this.fastPaths);
    const created: Slot = { kind, table, handle: undefined, fn, options };
    created.handle = makeHandle(table);
    this.tables.set(name, created);
    return created as unknown as { table: StateTable<V>; handle: unknown };
  }

  /**
   * A second declaration of a state must match the first, which the state keeps (a JobDefinitionError names what
   * differs). Equal options are fine: handles are declared in open() and often again per record.
   */
  private checkRedeclared(name: string, s: Slot, options: StateOptions | undefined, fn: StateFunction): void {
    if (sameDeclaration(s.table.ttl, s.fn, options?.ttl, fn)) { s.options = options; return; }
    const where = `operator '${this.operatorName}', ${stateLabel(name)}`;
    const diff = redeclared({ ttl: s.table.ttl, fn: s.fn }, { ttl: ttlConfig(options?.ttl, where), fn });
    if (diff !== undefined) throw new JobDefinitionError(`operator '${this.operatorName}': ${stateLabel(name)} was ${diff}: a state keeps its first declaration. Declare it the same way every time, or give the other one a new name`);
    s.options = options;
  }

  /**
   * The handle of a state declared before exactly so (same kind, same options object and function), or undefined
   * (fast paths only): a handle asked for per record then costs one Map lookup, not slot's closure (garbage per
   * call) and its instanceof. Anything else (first use, a restored table, other options) goes through slot.
   */
  private declared(name: string, kind: Kind, options: StateOptions | undefined, fn: StateFunction): unknown {
    const s = this.tables.get(name);
    // A typed table's kind is 'internal' and a restored one's 'restored': neither matches a handle's kind.
    return s !== undefined && s.kind === kind && s.options === options && s.fn === fn && sameTtlAsked(s, options) ? s.handle : undefined;
  }

  valueState<V>(name: string, options?: StateOptions): ValueState<V> {
    if (this.fastPaths) { const h = this.declared(name, 'value', options, undefined); if (h !== undefined) return h as ValueState<V>; }
    return this.slot<V>(name, 'value', options, undefined, (t) => new ValueHandle(this, t)).handle as ValueState<V>;
  }

  listState<V>(name: string, options?: StateOptions): ListState<V> {
    if (this.fastPaths) { const h = this.declared(name, 'list', options, undefined); if (h !== undefined) return h as ListState<V>; }
    return this.slot<V[]>(name, 'list', options, undefined, (t) => { t.setCollection('list'); return new ListHandle(this, t); }).handle as ListState<V>;
  }

  mapState<MK extends Key, MV>(name: string, options?: StateOptions): MapState<MK, MV> {
    if (this.fastPaths) { const h = this.declared(name, 'map', options, undefined); if (h !== undefined) return h as MapState<MK, MV>; }
    return this.slot<Map<MK, MV>>(name, 'map', options, undefined, (t) => { t.setCollection('map'); return new MapHandle(this, t); }).handle as MapState<MK, MV>;
  }

  reducingState<V>(name: string, reduce: (a: V, b: V) => V, options?: StateOptions): ReducingState<V> {
    if (this.fastPaths) { const h = this.declared(name, 'reducing', options, reduce as StateFunction); if (h !== undefined) return h as ReducingState<V>; }
    return this.slot<V>(name, 'reducing', options, reduce as StateFunction, (t) => new ReducingHandle(this, t, reduce)).handle as ReducingState<V>;
  }

  aggregatingState<IN, ACC, OUT>(name: string, aggregate: AggregateFunction<IN, ACC, OUT>, options?: StateOptions): AggregatingState<IN, OUT> {
    if (this.fastPaths) { const h = this.declared(name, 'aggregating', options, aggregate as StateFunction); if (h !== undefined) return h as AggregatingState<IN, OUT>; }
    return this.slot<ACC>(name, 'aggregating', options, aggregate as StateFunction, (t) => new AggregatingHandle(this, t, aggregate)).handle as AggregatingState<IN, OUT>;
  }

  /**
   * The table of a per-window state (`windowState` of a window function): per key, a Map from a window's id to
   * its value. Kinds are checked as for any state; no TTL, since a window's entries go with the window.
   */
  windowTable<V>(name: string, kind: Kind): StateTable<Map<string, V>> {
    return this.slot<Map<string, V>>(WINDOW_STATE_PREFIX + name, kind, undefined, undefined, () => undefined, true).table;
  }

  /** Every per-window state's table, declared or only restored so far. */
  windowTables(): StateTable<Map<string, unknown>>[] {
    const out: StateTable<Map<string, unknown>>[] = [];
    for (const [name, s] of this.tables) if (name.startsWith(WINDOW_STATE_PREFIX) && s.table instanceof StateTable) out.push(s.table as StateTable<Map<string, unknown>>);
    return out;
  }

  /** Live entries over every state of this instance. */
  get entryCount(): number {
    let n = 0;
    for (const s of this.tables.values()) n += s.table.size;
    return n;
  }

  /** The keys holding an entry of state `name` (a copy, safe to iterate while the state changes). */
  keysOf(name: string): Key[] {
    const s = this.tables.get(name);
    return s === undefined ? [] : [...s.table.keys()];
  }

  /** Entries of one state (for tests and metrics). */
  sizeOf(name: string): number {
    return this.tables.get(name)?.table.size ?? 0;
  }

  /** Removes expired entries of every state with a TTL now; returns how many. */
  cleanupExpired(): number {
    let n = 0;
    for (const s of this.tables.values()) n += s.table.cleanup();
    return n;
  }

  /**
   * The chunks of this checkpoint: one per key group that changed, delta or full (`full`: every group this
   * instance holds, in full, as a savepoint needs). Synchronous: the values are encoded now, so later writes
   * cannot leak into the snapshot.
   */
  snapshot(full: boolean): { chunks: KeyGroupChunk[]; entries: number } {
    const maxP = this.maxParallelism;
    const slots = [...this.tables.values()];
    const tables = slots.map((s) => s.table);
    for (const t of tables) if (t.ttl !== undefined) t.cleanup();
    const changes = new Int32Array(maxP);
    for (const t of tables) t.changeCounts(changes);
    // The chain's measure: what a delta would write, against the group's size, in one unit (changeUnits).
    const wrote = new Float64Array(maxP);
    const size = new Float64Array(maxP);
    for (const t of tables) t.changeUnits(wrote, size);
    const live = new Int32Array(maxP);
    for (const t of tables) for (let kg = 0; kg < maxP; kg++) live[kg]! += t.counts[kg]!;
    const isFull = new Uint8Array(maxP);
    let anyFull = false;
    const turn = this.snapshots++ % MAX_DELTA_CHAIN;
    for (let kg = 0; kg < maxP; kg++) {
      const chain = this.chain[kg]!;
      const wantFull = full ? live[kg]! > 0 || changes[kg]! > 0 : changes[kg]! > 0
        && (chain >= MAX_DELTA_CHAIN || (chain > 0 && (kg + turn) % MAX_DELTA_CHAIN === 0) || this.sinceFull[kg]! + wrote[kg]! >= size[kg]!);
      if (wantFull) { isFull[kg] = 1; anyFull = true; }
    }
    const byGroup = new Map<number, TableChanges[]>();
    for (const s of slots) {
      const t = s.table;
      const kind = s.kind === 'restored' ? s.restoredKind : s.kind;
      const tc = t.takeChanges(isFull, anyFull);
      for (const [kg, c] of tc) {
        let list = byGroup.get(kg);
        if (list === undefined) { list = []; byGroup.set(kg, list); }
        list.push({ name: t.name, ttl: t.ttl !== undefined, kind, puts: c.puts, dels: c.dels, ...(c.columns !== undefined ? { columns: c.columns } : {}), ...(c.patches !== undefined ? { patches: c.patches } : {}), ...(c.section !== undefined ? { section: c.section } : {}) });
      }
    }
    // A full group with no live entry left still needs a chunk: it replaces the group's older chunks.
    for (let kg = 0; kg < maxP; kg++) if (isFull[kg] === 1 && !byGroup.has(kg)) byGroup.set(kg, []);
    const chunks: KeyGroupChunk[] = [];
    for (const kg of [...byGroup.keys()].sort((a, b) => a - b)) {
      const f = isFull[kg] === 1;
      let bytes: Uint8Array;
      const tables = byGroup.get(kg)!;
      // Only where a state can be unchanged while another changed: a group of one state is written in full only when
      // that state changed, so its part would be memory that no checkpoint uses again. A fast path: off, none kept.
      // (A part kept while the group had two states must be used, whatever the group has now.)
      if (f && this.tracking && ((this.fastPaths && tables.length >= 2) || tables.some((t) => t.section !== undefined))) {
        // Tables unchanged since the group's last full chunk come as that chunk's parts; each part is kept again.
        const enc = this.encoder.encodeFull(tables);
        // Each part's table by its name (names are unique per backend): looked up only here, where parts are kept.
        for (let i = 0; i < tables.length; i++) if (tables[i]!.section === undefined) this.tables.get(tables[i]!.name)!.table.keepSection?.(kg, enc.sections[i]!);
        bytes = enc.bytes;
      } else {
        bytes = this.encoder.encode(f, tables);
      }
      chunks.push({ keyGroup: kg, full: f, entries: live[kg]!, changed: f ? live[kg]! : changes[kg]!, bytes });
      // A delta adds what its chunk carries, as a restore counts it from the chunk (`wrote` lists more: an entry written
      // and removed since the last snapshot, a key removed and written again), so a restored chain ends where this one does.
      if (f) { this.chain[kg] = 0; this.sinceFull[kg] = 0; } else { this.chain[kg]!++; for (const t of tables) this.sinceFull[kg]! += carriedUnits(t); }
    }
    let entries = 0;
    for (let kg = 0; kg < maxP; kg++) entries += live[kg]!;
    return { chunks, entries };
  }

  /**
   * Applies restored chunks (per key group: a full chunk, then its deltas, in order). Tables named in a chunk
   * that the job has not declared yet are created as they were: their handle's kind is checked on first use.
   * Throws KeyGroupFormatError for a chunk that does not decode, or whose entry count does not match.
   */
  restore(chunks: readonly KeyGroupChunk[]): void {
    const seenFull = new Uint8Array(this.maxParallelism);
    for (const c of chunks) {
      const { full, tables } = decodeKeyGroup(c.bytes);
      if (full !== c.full) throw new KeyGroupFormatError(`key group ${c.keyGroup}: chunk says full=${full}, the manifest full=${c.full}`);
      if (!full && seenFull[c.keyGroup] === 0) throw new KeyGroupFormatError(`key group ${c.keyGroup}: a delta chunk without the full chunk it applies to`);
      seenFull[c.keyGroup] = 1;
      /**
       * What the chunk carries, in changeUnits' measure: what its snapshot added to the group's count since its full
       * chunk (a window's lists and maps are never patched: an entry each, as their snapshots counted).
       */
      let carried = 0;
      for (const t of tables) {
        const table = this.restoredTable(t.name, t.ttl, t.kind);
        const stride = t.ttl ? 3 : 2;
        carried += t.dels.length + ((t.kind === 'list' || t.kind === 'map') && !t.name.startsWith(WINDOW_STATE_PREFIX) ? restoredUnits(t.puts, stride, t.patches, t.ttl) : t.puts.length / stride);
        for (let i = 0; i < t.puts.length; i += stride) table.restorePut(this.checkKey(t.puts[i], c.keyGroup), c.keyGroup, t.puts[i + 1], t.ttl ? t.puts[i + 2] as number : Infinity);
        if (t.patches !== undefined) this.restorePatches(table, t.name, t.patches, t.ttl, c.keyGroup);
        for (const k of t.dels) table.restoreDelete(this.checkKey(k, c.keyGroup));
      }
      let live = 0;
      for (const s of this.tables.values()) live += s.table.counts[c.keyGroup]!;
      if (live !== c.entries) {
        throw new KeyGroupFormatError(`key group ${c.keyGroup}: restored ${live} entries, the checkpoint recorded ${c.entries}`);
      }
      // The restored chain counts as the snapshots that wrote it did: deltas after it end once they add up.
      if (full) { this.chain[c.keyGroup] = 0; this.sinceFull[c.keyGroup] = 0; } else { this.chain[c.keyGroup]!++; this.sinceFull[c.keyGroup]! += carried; }
    }
    for (const s of this.tables.values()) s.table.restoreDone();
  }

  /** Applies a table's patches (format 5) to the values its earlier chunks left; one that does not apply is refused. */
  private restorePatches(table: KeyedTable, name: string, patches: unknown[], ttl: boolean, kg: number): void {
    if (!(table instanceof StateTable)) throw new KeyGroupFormatError(`state '${name}': patches for a state with a state schema`);
    const stride = ttl ? 4 : 3;
    for (let i = 0; i < patches.length; i += stride) {
      const key = this.checkKey(patches[i], kg);
      const why = (table as StateTable<unknown>).restorePatch(key, patches[i + 1], patches[i + 2], ttl ? patches[i + 3] as number : Infinity);
      if (why !== undefined) throw new KeyGroupFormatError(`key group ${kg}: state '${name}', key ${String(key)}: ${why}`);
    }
  }

  /** A restored key must belong to its chunk's group (a mislabelled chunk could otherwise change another group). */
  private checkKey(k: unknown, kg: number): Key {
    const t = typeof k;
    if (t !== 'string' && t !== 'number' && t !== 'bigint' && t !== 'boolean') throw new KeyGroupFormatError(`key group ${kg}: holds ${k === null ? 'null' : `a value of type ${t}`} where a key belongs`);
    if (keyGroupFor(k as Key, this.maxParallelism) !== kg) throw new KeyGroupFormatError(`key group ${kg}: holds key ${String(k)} of another key group`);
    return k as Key;
  }

  private restoredTable(name: string, ttl: boolean, kind: Kind | undefined): KeyedTable {
    const s = this.tables.get(name);
    if (s !== undefined) {
      if (ttl && s.table instanceof TypedStateTable) throw new StateSchemaRestoreError(`state '${name}': the checkpoint holds it with a TTL, the job declares it with a state schema (no TTL)`);
      const known = s.kind === 'restored' ? s.restoredKind : s.kind;
      if (kind !== undefined && known !== undefined && kind !== known) {
        throw s.kind === 'restored'
          ? new KeyGroupFormatError(`state '${name}': one chunk holds it as a ${known} state, another as a ${kind} state`)
          : new JobDefinitionError(`operator '${this.operatorName}': state '${name}' was checkpointed as a ${kind} state, and this job declares it as a ${known} state`);
      }
      if (s.kind === 'restored' && s.restoredKind === undefined) s.restoredKind = kind;
      return s.table;
    }
    // The kind is not known until the job asks for the state; keep the table and let the first handle claim it.
    // Nor is its clock (event or processing time): until then nothing in it expires.
    const never = (): number => -Infinity;
    const table = new StateTable<unknown>(name, this.maxParallelism, this.tracking,
      ttl ? { ttlMs: 1, readRenews: false, eventTime: false } : undefined, never, never, this.fastPaths);
    this.tables.set(name, { kind: 'restored', table, handle: undefined, restoredKind: kind });
    return table;
  }
}

/** What a delta chunk's table carries in StateTable.changeUnits' measure, counted as restore counts it from the chunk. */
function carriedUnits(t: TableChanges): number {
  let u = t.dels.length;
  if (t.columns !== undefined) return u + t.columns.keys.length;
  if ((t.kind !== 'list' && t.kind !== 'map') || t.name.startsWith(WINDOW_STATE_PREFIX)) return u + t.puts.length;
  for (const e of t.puts) u += weightOf(e.value);
  if (t.patches !== undefined) {
    for (const p of t.patches) {
      const n = p.op === PATCH_MAP_CHANGES ? (p.payload as unknown[][])[0]!.length / 2 + (p.payload as unknown[][])[1]!.length : (p.payload as ArrayLike<unknown>).length;
      u += Math.max(1, n);
    }
  }
  return u;
}

/**
 * A list or map state's restored chunk in StateTable.changeUnits' measure: a value written whole weighs its
 * elements or entries, a patch what it appends or changes (at least 1 each), as the snapshot that wrote it counted.
 */
function restoredUnits(puts: readonly unknown[], stride: number, patches: readonly unknown[] | undefined, ttl: boolean): number {
  let u = 0;
  for (let i = 1; i < puts.length; i += stride) u += weightOf(puts[i]);
  if (patches !== undefined) {
    const pStride = ttl ? 4 : 3;
    for (let i = 0; i < patches.length; i += pStride) {
      const payload = patches[i + 2];
      const n = patches[i + 1] === PATCH_MAP_CHANGES && Array.isArray(payload) && Array.isArray(payload[0]) && Array.isArray(payload[1])
        ? payload[0].length / 2 + payload[1].length
        : (payload as ArrayLike<unknown> | undefined)?.length ?? 1;
      u += Math.max(1, n);
    }
  }
  return u;
}

/** Whether options (the slot's own object, perhaps changed since) still ask for the TTL the state has. */
function sameTtlAsked(s: Slot, options: StateOptions | undefined): boolean {
  const ttl = options?.ttl;
  return ttl === undefined ? s.table.ttl === undefined : sameDeclaration(s.table.ttl, undefined, ttl, undefined);
}
