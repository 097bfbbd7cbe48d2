// Runs on: the worker thread of a keyed operator instance. One named keyed state whose values follow a declared
// record schema (`keyBy(...).reduce(fn, { stateSchema })`): each key has a slot, a row of one Float64Array holding
// the numeric fields (with the slot's snapshot mark and key group beside them), and strings and booleans sit in an
// array per field. StateTable keeps an entry object and a value object per key instead.
//
// Why: with a million keys, objects per key are what the garbage collector walks at every major collection, and
// each new value a reduce returns is promoted and dropped there; here a value lives in the rows and the objects a
// record makes die young. A snapshot copies the changed rows straight into the chunk's columns (key-group chunk
// format 4, decoding to the entries StateTable's values of the same shape give), without visiting an object per
// entry.
//
// Slots are never reused: a removed key's slot stays dead (a reduce removes no key).

import { keyGroupFor, type Key } from '../graph/key-groups.js';
import { f32Holds, f32HoldsSource, FIELD_TYPES, type FieldDef, type FieldType, type RecordSchema } from '../../shm/codec/schema.js';
import { JobDefinitionError } from '../api/errors.js';
import type { TtlConfig } from './ttl.js';
import type { KeyedTable, GroupChanges } from './keyed-table.js';
import { StateSchemaRestoreError, type TypedColumns } from './key-group-codec.js';
import { KeySlots } from './key-slots.js';

type Column = Int32Array | Float64Array | unknown[];

/** Thrown by put for a value that does not follow the schema (the record goes to the error policy). */
export class StateSchemaError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = 'StateSchemaError';
  }
}

/**
 * The fields of a state schema, checked when the job is defined (`where` names the API call): a record schema
 * (recordSchema(...)) of required fields.
 */
export function stateSchemaFields(schema: unknown, where: string): readonly FieldDef[] {
  const fields = (schema as RecordSchema<unknown> | undefined)?.fields;
  if (!Array.isArray(fields) || fields.length === 0 || !fields.every((f: FieldDef) => typeof f?.name === 'string' && (FIELD_TYPES as readonly string[]).includes(f.type))) {
    throw new JobDefinitionError(`${where}: stateSchema must be a record schema (recordSchema({ ... }))`);
  }
  const opt = (fields as FieldDef[]).find((f) => f.optional);
  if (opt !== undefined) throw new JobDefinitionError(`${where}: stateSchema field '${opt.name}' is optional; a state schema declares required fields only`);
  return fields as FieldDef[];
}

/** Stable text naming a state schema (part of the operator's fingerprint). */
export function stateSchemaFingerprint(fields: readonly FieldDef[]): string {
  return `state(${fields.map((f) => `${f.name}:${f.type}`).join(',')})`;
}

const NUMERIC: ReadonlySet<FieldType> = new Set(['i32', 'u32', 'i64', 'f64', 'f32', 'timestamp']);
const INITIAL_SLOTS = 1024;
/**
 * Slots per page (a power of two that divides INITIAL_SLOTS). A key group's slots are taken from pages of its own,
 * so a snapshot copies a group's rows page by page into its own columns (slots in first-come order made it write
 * to every group's columns at once, ~3x slower). PAGE is 32: a page's dirty slots are the bits of one int32.
 */
const PAGE_BITS = 5;
const PAGE = 1 << PAGE_BITS;
/**
 * A group's pages are reserved in runs (extents) of as many pages as it has, up to this: its rows then lie
 * together in memory, and a snapshot reads them in long sequential runs (pages taken one at a time, in
 * first-come order across groups, put each group's next page ~100 KB further on: a gather of 478 K changed rows
 * of 1 M took 21-23 ms against 11-12 ms). Doubling keeps a small group's unused reserve small.
 */
const MAX_EXTENT_PAGES = 16;

/** Set bits of a 32-bit word. */
function bitCount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/** The check of one field's value, as JS source over `x` (the value is stored when it holds). */
function checkOf(type: FieldType): string {
  switch (type) {
    case 'i32': return "typeof x === 'number' && (x | 0) === x";
    case 'u32': return "typeof x === 'number' && (x >>> 0) === x";
    case 'i64': case 'timestamp': return 'Number.isSafeInteger(x)';
    case 'f64': return "typeof x === 'number'";
    // As the typed codec (f32Holds), not stored as Infinity unsaid.
    case 'f32': return `typeof x === 'number' && ${f32HoldsSource('x')}`;
    case 'string': return "typeof x === 'string'";
    case 'bool': return "typeof x === 'boolean'";
  }
}

/**
 * Stores value `v` in slot `s`: WRITTEN, or LISTED (written, and the slot is now marked as changed in this
 * epoch: the caller counts it), or the index of the first field that does not fit (nothing stored).
 */
type Writer = (v: unknown, s: number) => number;
const WRITTEN = -1;
const LISTED = -2;
type Reader = (s: number) => unknown;

export class TypedStateTable<V> implements KeyedTable {
  readonly ttl: TtlConfig | undefined = undefined;
  readonly counts: Int32Array;
  private readonly slots: KeySlots;
  private readonly fields: readonly FieldDef[];
  private readonly names: string[];
  /**
   * Row-major, `stride` numbers per slot: the numeric fields in schema order, then the snapshot epoch the slot
   * was last listed as changed in (at `markAt`), then its key group (at `kgAt`; -1 once removed). A record
   * touches one cache line (columns apart cost a miss each with many keys). Strings and booleans: an array each.
   */
  private rows: Float64Array;
  private readonly stride: number;
  private readonly markAt: number;
  private readonly kgAt: number;
  /** Per field: its offset in a row when numeric, else -1 - its index in `others`. */
  private readonly place: number[];
  private readonly others: unknown[][];
  /** The numeric fields' offsets in a row, in schema order. */
  private readonly numericAt: number[];
  /** Per slot: its key. */
  private readonly keyOf: Key[] = [];
  /** Every key so far is a number (a snapshot then writes keys as a number column directly). */
  private numberKeys = true;
  /** Pages handed out or held in a group's extent; per key group: its pages, and the slot its next key takes (-1: its last page is full). */
  private pages = 0;
  private readonly pagesOf: number[][];
  private readonly nextSlot: Int32Array;
  /** Per key group: the next page of its extent, and the extent's end (equal: it has no page in reserve). */
  private readonly reserved: Int32Array;
  private readonly reservedEnd: Int32Array;
  /** The snapshot epoch (in an array: the generated writer reads it). */
  private readonly epochCell = new Float64Array([1]);
  /** Stores a value (a restore, a new slot). */
  private write!: Writer;
  /** Stores a put's value into a live slot, marking it with the epoch (with tracking). */
  private update!: Writer;
  private read!: Reader;
  /** A chunk's entry as an object (format 2 only), generated on first use. */
  private entryOf: ((cols: Column[], i: number) => unknown) | undefined;
  /**
   * With tracking: per page of slots, a bit per slot listed as changed in this epoch (its mark is the epoch), and
   * per key group the keys removed. Listing a slot sets its bit and nothing else: it runs for most records of a
   * job whose keys change between checkpoints (per-group counts and lists of pages kept here cost ~20% more per
   * keyed update). A snapshot counts the bits and visits the slots listed, page by page; pages with none cost a
   * check each (change lists in touch order cost a cache miss per row at the snapshot and a push per record
   * before it).
   */
  private removed: (Key[] | undefined)[];
  private dirty: Int32Array;
  /**
   * Snapshot columns, reused by every takeChanges (fresh arrays per group and checkpoint cost more than the copy,
   * in allocation and page faults): per number column (the fields, then the keys) the rows as int32s, and as
   * doubles once a column has held a value that is not one. A snapshot's columns are views into these: the
   * caller encodes them before the next takeChanges.
   */
  private narrowCols: Int32Array[] = [];
  private wideCols: (Float64Array | undefined)[] = [];

  constructor(
    readonly name: string,
    private readonly maxParallelism: number,
    readonly tracking: boolean,
    /** Checked by stateSchemaFields when the job was defined. */
    fields: readonly FieldDef[],
    /** Names the state in errors: "reduce 'sum'". */
    private readonly owner: string,
    /** Int32 keys in a hash table of their own (KeySlots); false: every key in a Map (the fast path's switch). */
    keyTable = true,
  ) {
    this.slots = new KeySlots(keyTable);
    this.fields = fields;
    this.names = fields.map((f) => f.name);
    let numeric = 0;
    let other = 0;
    this.place = fields.map((f) => (NUMERIC.has(f.type) ? numeric++ : -1 - other++));
    this.others = Array.from({ length: other }, () => []);
    this.numericAt = this.place.filter((p) => p >= 0);
    this.markAt = numeric;
    this.kgAt = numeric + 1;
    this.stride = numeric + 2;
    this.rows = new Float64Array(INITIAL_SLOTS * this.stride);
    this.counts = new Int32Array(maxParallelism);
    this.removed = new Array(maxParallelism);
    this.dirty = new Int32Array(tracking ? INITIAL_SLOTS / PAGE : 0);
    this.pagesOf = Array.from({ length: maxParallelism }, () => []);
    this.nextSlot = new Int32Array(maxParallelism).fill(-1);
    this.reserved = new Int32Array(maxParallelism);
    this.reservedEnd = new Int32Array(maxParallelism);
    this.compile();
  }

  get size(): number {
    return this.slots.size;
  }

  keys(): Iterable<Key> {
    return this.slots.keys();
  }

  /** The value of `key` as a fresh plain object (fields in schema order), or undefined. */
  get(key: Key): V | undefined {
    const s = this.slots.get(key);
    return s < 0 ? undefined : this.read(s) as V;
  }

  /** Stores the declared fields of `value` under `key`; throws StateSchemaError (and stores nothing) if one does not fit. */
  put(key: Key, value: V): void {
    const s = this.slots.get(key);
    if (s < 0) return this.putNew(key, value);
    // The mark check sits in the generated writer, beside the row's stores: put stays small enough to inline.
    const r = this.update(value, s);
    if (r !== WRITTEN) {
      if (r !== LISTED) throw this.mismatch(r, value);
      this.listed(s);
    }
  }

  /** Lists slot `s`, just marked with the epoch, as changed. */
  private listed(s: number): void {
    const p = s >>> PAGE_BITS;
    this.dirty[p] = this.dirty[p]! | (1 << (s & (PAGE - 1)));
  }

  /** Slots of key group `kg` listed in this epoch. */
  private listedIn(kg: number): number {
    let n = 0;
    for (const p of this.pagesOf[kg]!) { const m = this.dirty[p]!; if (m !== 0) n += bitCount(m); }
    return n;
  }

  /** put of a key without a slot: written into the next free row first, so a value that does not fit leaves no slot. */
  private putNew(key: Key, value: V): void {
    const kg = keyGroupFor(key, this.maxParallelism);
    const bad = this.writeNext(value, kg);
    if (bad >= 0) throw this.mismatch(bad, value);
    const s = this.newSlot(key, kg);
    if (this.tracking) {
      this.rows[s * this.stride + this.markAt] = this.epochCell[0]!;
      this.listed(s);
    }
  }

  remove(key: Key): void {
    this.unslot(key, true);
  }

  /** Frees `key`'s slot (it stays dead); `tombstone`: list the key as removed for the next snapshot. */
  private unslot(key: Key, tombstone: boolean): void {
    const s = this.slots.get(key);
    if (s < 0) return;
    const kg = this.kgOf(s);
    this.slots.delete(key);
    this.counts[kg]!--;
    this.rows[s * this.stride + this.kgAt] = -1;
    if (this.tracking && tombstone) (this.removed[kg] ??= []).push(key);
  }

  cleanup(): number {
    return 0;
  }

  configure(ttl: TtlConfig | undefined): void {
    if (ttl !== undefined) throw new StateSchemaError(`${this.owner}: a state with a state schema cannot have a TTL`);
  }

  changeCounts(into: Int32Array): void {
    for (let kg = 0; kg < this.maxParallelism; kg++) into[kg]! += (this.tracking ? this.listedIn(kg) : 0) + (this.removed[kg]?.length ?? 0);
  }

  /** Entries as changeCounts counts them, and the live entries: every row is one unit. */
  changeUnits(wrote: Float64Array, size: Float64Array): void {
    for (let kg = 0; kg < this.maxParallelism; kg++) {
      wrote[kg]! += (this.tracking ? this.listedIn(kg) : 0) + (this.removed[kg]?.length ?? 0);
      size[kg]! += this.counts[kg]!;
    }
  }

  takeChanges(full: Uint8Array, _anyFull: boolean): Map<number, GroupChanges> {
    const maxP = this.maxParallelism;
    // Per key group: the rows it contributes (at most: a slot listed and then removed is skipped by gather).
    const want = new Int32Array(maxP);
    let any = false;
    for (let kg = 0; kg < maxP; kg++) {
      want[kg] = full[kg] === 1 ? this.counts[kg]! : this.tracking ? this.listedIn(kg) : 0;
      if (want[kg]! > 0) any = true;
    }
    const cols = any ? this.gather(want, full) : [];
    const out = new Map<number, GroupChanges>();
    for (let kg = 0; kg < maxP; kg++) {
      const dels: Key[] = [];
      const removed = this.removed[kg];
      // A removed key written again has a slot again: it is a put, not a delete.
      if (full[kg] !== 1 && removed !== undefined) for (const k of removed) if (this.slots.get(k) < 0) dels.push(k);
      const c = cols[kg];
      if (c !== undefined || dels.length > 0) out.set(kg, { puts: [], dels, columns: c ?? this.columnsOf([], this.place.map((p) => (p >= 0 ? new Float64Array(0) : []))) });
    }
    this.removed = new Array(maxP);
    this.dirty.fill(0);
    this.epochCell[0]!++;
    return out;
  }

  /**
   * The rows each key group contributes, as chunk columns: every live row of a full group, the rows listed in
   * this epoch of the others: over every slot when a group is full, else over the pages with a listed slot.
   */
  private gather(want: Int32Array, full: Uint8Array): (TypedColumns | undefined)[] {
    const maxP = this.maxParallelism;
    const { rows, stride, markAt, kgAt, keyOf, dirty, place, numberKeys } = this;
    const epoch = this.epochCell[0]!;
    const numAt = this.numericAt;
    const nNum = numAt.length;
    let total = 0;
    for (let kg = 0; kg < maxP; kg++) total += want[kg]!;
    const is = this.scratch(nNum + 1, total);
    const iKey = is[nNum]!;
    // Per number column (the fields, then the keys) of the group: 0 while every value is an int32 (and not -0),
    // written as int32s; 1 from the first that is not one, written as doubles (widen copies those before).
    const wide = new Uint8Array(nNum + 1);
    const out: (TypedColumns | undefined)[] = new Array(maxP);
    let at = 0;
    for (let kg = 0; kg < maxP; kg++) {
      const n = want[kg]!;
      if (n === 0) continue;
      const keys = numberKeys ? undefined : new Array<Key>(n);
      // Slots of the rows, for the fields kept outside the rows.
      const slots = this.others.length > 0 ? new Array<number>(n) : undefined;
      wide.fill(0);
      const isFull = full[kg] === 1;
      const start = at;
      const end = at + n;
      // Every page of the group; a delta's with a listed slot only.
      for (const p of this.pagesOf[kg]!) {
        // The page's slots to visit, a bit each (set bits only): all of them for a full group, else those listed.
        let m = isFull ? -1 : dirty[p]!;
        const s0 = p << PAGE_BITS;
        while (m !== 0) {
          const low = m & -m;
          m ^= low;
          const s = s0 + 31 - Math.clz32(low);
          const b = s * stride;
          // Dead and untaken slots hold -1 here; a delta takes the rows listed in this epoch.
          if ((rows[b + kgAt]! | 0) !== kg || (!isFull && rows[b + markAt] !== epoch)) continue;
          // A row beyond what the group listed would be written past its columns: a broken invariant, not bad input.
          if (at === end) throw new Error(`TypedStateTable '${this.name}': key group ${kg} has more rows than the ${n} listed`);
          for (let f = 0; f < nNum; f++) {
            const v = rows[b + numAt[f]!]!;
            if (wide[f] === 0) {
              if ((v | 0) === v && (v !== 0 || 1 / v > 0)) { is[f]![at] = v; continue; }
              wide[f] = 1;
              this.widen(f, start, at);
            }
            this.wideCols[f]![at] = v;
          }
          if (keys === undefined) {
            // A key of -0 is written as 0, as the codec writes keys (a Map does not tell them apart).
            const k = keyOf[s] as number;
            if (wide[nNum] === 0) {
              if ((k | 0) === k) { iKey[at] = k; } else { wide[nNum] = 1; this.widen(nNum, start, at); this.wideCols[nNum]![at] = k; }
            } else {
              this.wideCols[nNum]![at] = k === 0 ? 0 : k;
            }
          } else {
            keys[at - start] = keyOf[s]!;
          }
          if (slots !== undefined) slots[at - start] = s;
          at++;
        }
      }
      const i = at - start;
      // Rows listed but removed since leave their part of the scratch unused.
      at = end;
      if (i === 0) continue;
      const column = (j: number): Int32Array | Float64Array => (wide[j] === 1 ? this.wideCols[j]! : is[j]!).subarray(start, start + i);
      let ks: Key[] | Int32Array | Float64Array;
      if (keys === undefined) {
        ks = column(nNum);
      } else {
        ks = keys;
        if (i < n) ks.length = i;
      }
      let k = 0;
      const cols: Column[] = place.map((p) => {
        if (p >= 0) return column(k++);
        const from = this.others[-1 - p]!;
        const to = new Array<unknown>(i);
        for (let r = 0; r < i; r++) to[r] = from[slots![r]!];
        return to;
      });
      out[kg] = this.columnsOf(ks, cols);
    }
    return out;
  }

  /**
   * `count` int32 scratch columns of at least `rows` rows each: half again as many as needed when made, and made
   * again smaller when a snapshot needs under a quarter of them (a savepoint's full snapshot is not kept for good).
   */
  private scratch(count: number, rows: number): Int32Array[] {
    const have = this.narrowCols[0]?.length ?? 0;
    if (this.narrowCols.length !== count || have < rows || have > 4 * rows + PAGE) {
      const size = Math.max(rows + (rows >>> 1), PAGE);
      this.narrowCols = Array.from({ length: count }, () => new Int32Array(size));
      this.wideCols = new Array(count);
    }
    return this.narrowCols;
  }

  /** Column `j` turns to doubles at row `at`: its rows from `start` so far, written as int32s, are copied over. */
  private widen(j: number, start: number, at: number): void {
    const size = this.narrowCols[j]!.length;
    if (this.wideCols[j]?.length !== size) this.wideCols[j] = new Float64Array(size);
    const w = this.wideCols[j]!;
    const n = this.narrowCols[j]!;
    for (let r = start; r < at; r++) w[r] = n[r]!;
  }

  private columnsOf(keys: Key[] | Int32Array | Float64Array, cols: Column[]): TypedColumns {
    const entry = this.entryOf ??= columnReader(this.names);
    return { keys, fields: this.names, cols, value: (i) => entry(cols, i) };
  }

  restorePut(key: Key, kg: number, value: unknown, _expiresAt: number): void {
    const s = this.slots.get(key);
    const bad = s < 0 ? this.writeNext(value, kg) : this.write(value, s);
    if (bad >= 0) throw this.restoreMismatch(bad, value);
    if (s < 0) this.newSlot(key, kg);
  }

  restoreDelete(key: Key): void {
    this.unslot(key, false);
  }

  restoreDone(): void {}

  private kgOf(s: number): number {
    return this.rows[s * this.stride + this.kgAt]! | 0;
  }

  /** Writes `value` into the row the next new slot of group `kg` will take; the writer's result. */
  private writeNext(value: unknown, kg: number): number {
    // First: opening a page may grow the rows, and the writer is generated again over the new ones.
    const s = this.openSlot(kg);
    return this.write(value, s);
  }

  /** The slot the next key of group `kg` takes: on the group's last page, or first on its next page (from its extent). */
  private openSlot(kg: number): number {
    const s = this.nextSlot[kg]!;
    if (s >= 0) return s;
    if (this.reserved[kg] === this.reservedEnd[kg]) {
      const n = Math.min(MAX_EXTENT_PAGES, Math.max(1, this.pagesOf[kg]!.length));
      const p0 = this.pages;
      this.pages += n;
      while (this.pages * PAGE * this.stride > this.rows.length) this.grow();
      // Slots not taken yet belong to no group (a scan of the page skips them).
      for (let t = p0 << PAGE_BITS, end = this.pages << PAGE_BITS; t < end; t++) this.rows[t * this.stride + this.kgAt] = -1;
      this.reserved[kg] = p0;
      this.reservedEnd[kg] = p0 + n;
    }
    const p = this.reserved[kg]!++;
    this.pagesOf[kg]!.push(p);
    return (this.nextSlot[kg] = p << PAGE_BITS);
  }

  /** The next slot, for a new key whose fields writeNext stored (not listed as changed: put lists it, a restore does not). */
  private newSlot(key: Key, kg: number): number {
    const s = this.openSlot(kg);
    this.nextSlot[kg] = ((s + 1) & (PAGE - 1)) === 0 ? -1 : s + 1;
    this.keyOf[s] = key;
    if (typeof key !== 'number') this.numberKeys = false;
    const b = s * this.stride;
    this.rows[b + this.markAt] = 0;
    this.rows[b + this.kgAt] = kg;
    this.slots.add(key, s);
    this.counts[kg]!++;
    return s;
  }

  private grow(): void {
    const bigger = new Float64Array(this.rows.length * 2);
    bigger.set(this.rows);
    this.rows = bigger;
    if (this.tracking) {
      const d = new Int32Array(bigger.length / this.stride / PAGE);
      d.set(this.dirty);
      this.dirty = d;
    }
    this.compile();
  }

  /** The writer and reader over the current rows (generated per schema; again after the rows grow). */
  private compile(): void {
    const { fields, place, stride, markAt } = this;
    const args = ['r', 'e', ...this.others.map((_, k) => `o${k}`)];
    const cell = (j: number): string => (place[j]! >= 0 ? `r[b + ${place[j]}]` : `o${-1 - place[j]!}[s]`);
    // Every field is checked before any is stored: a value that does not fit leaves the row as it was.
    const writeBody = [
      "if (typeof v !== 'object' || v === null) return 0;",
      'let x;',
      ...fields.map((f, j) => `x = v[${JSON.stringify(f.name)}]; if (!(${checkOf(f.type)})) return ${j};`),
      `const b = s * ${stride};`,
      ...fields.map((f, j) => `x = v[${JSON.stringify(f.name)}]; ${cell(j)} = ${f.type === 'f32' ? 'Math.fround(x)' : 'x'};`),
    ].join('\n');
    // Listed once per epoch; the mark sits in the row just written (no extra cache line).
    const mark = `if (r[b + ${markAt}] === e[0]) return ${WRITTEN};\nr[b + ${markAt}] = e[0];\nreturn ${LISTED};`;
    const literal = fields.map((f, j) => `${JSON.stringify(f.name)}: ${cell(j)}`).join(', ');
    try {
      const make = (body: string): Writer => new Function(...args, `return (v, s) => {\n${body}\n};`)(this.rows, this.epochCell, ...this.others) as Writer;
      this.write = make(`${writeBody}\nreturn ${WRITTEN};`);
      this.update = this.tracking ? make(`${writeBody}\n${mark}`) : this.write;
      this.read = new Function(...args, `return (s) => { const b = s * ${stride}; return { ${literal} }; };`)(this.rows, this.epochCell, ...this.others) as Reader;
    } catch {
      // Code generation is off (--disallow-code-generation-from-strings): the same, interpreted.
      const { rows, others, names, epochCell, tracking } = this;
      const write: Writer = (v, s) => {
        const bad = this.firstMismatch(v);
        if (bad >= 0) return bad;
        for (let j = 0; j < fields.length; j++) {
          const x = (v as Record<string, unknown>)[names[j]!];
          const p = place[j]!;
          if (p >= 0) rows[s * stride + p] = fields[j]!.type === 'f32' ? Math.fround(x as number) : x as number;
          else others[-1 - p]![s] = x;
        }
        return WRITTEN;
      };
      this.write = write;
      this.update = !tracking ? write : (v, s) => {
        const r = write(v, s);
        if (r !== WRITTEN || rows[s * stride + markAt] === epochCell[0]) return r;
        rows[s * stride + markAt] = epochCell[0]!;
        return LISTED;
      };
      this.read = (s) => {
        const o: Record<string, unknown> = {};
        for (let j = 0; j < names.length; j++) {
          const p = place[j]!;
          o[names[j]!] = p >= 0 ? rows[s * stride + p] : others[-1 - p]![s];
        }
        return o;
      };
    }
  }

  /** Index of the first field of `value` that does not fit the schema, or -1. */
  private firstMismatch(value: unknown): number {
    if (typeof value !== 'object' || value === null) return 0;
    for (let j = 0; j < this.fields.length; j++) {
      const x = (value as Record<string, unknown>)[this.names[j]!];
      if (!fits(this.fields[j]!.type, x)) return j;
    }
    return -1;
  }

  private mismatch(j: number, value: unknown): StateSchemaError {
    if (typeof value !== 'object' || value === null) return new StateSchemaError(`${this.owner}: the state schema needs an object with fields ${this.names.join(', ')}, got ${value === null ? 'null' : typeof value}`);
    const f = this.fields[j]!;
    const x = (value as Record<string, unknown>)[f.name];
    return new StateSchemaError(`${this.owner}: state schema field '${f.name}' (${f.type}) got ${x === undefined ? 'undefined' : typeof x === 'number' ? String(x) : typeof x}`);
  }

  private restoreMismatch(j: number, value: unknown): StateSchemaRestoreError {
    return new StateSchemaRestoreError(`state '${this.name}' of ${this.owner}: a restored value does not follow the state schema: ${this.mismatch(j, value).message}`);
  }
}

/** Entry i of a chunk's columns as a plain object: a literal generated for the schema (once per table) where possible. */
function columnReader(names: readonly string[]): (cols: Column[], i: number) => unknown {
  try {
    const literal = names.map((f, j) => `${JSON.stringify(f)}: cols[${j}][i]`).join(', ');
    return new Function('cols', 'i', `return { ${literal} };`) as (cols: Column[], i: number) => unknown;
  } catch {
    return (cols, i) => {
      const o: Record<string, unknown> = {};
      for (let j = 0; j < names.length; j++) o[names[j]!] = cols[j]![i];
      return o;
    };
  }
}

function fits(type: FieldType, x: unknown): boolean {
  switch (type) {
    case 'i32': return typeof x === 'number' && (x | 0) === x;
    case 'u32': return typeof x === 'number' && (x >>> 0) === x;
    case 'i64': case 'timestamp': return Number.isSafeInteger(x);
    case 'f64': return typeof x === 'number';
    case 'f32': return typeof x === 'number' && f32Holds(x);
    case 'string': return typeof x === 'string';
    case 'bool': return typeof x === 'boolean';
  }
}
