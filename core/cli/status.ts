// Runs on: main thread. What the `sluice` CLI shows: the live status line, the end-of-job summary, the --json
// report and failures, as pure functions of the plan and metrics samples. No I/O here (main.ts writes), so the
// rendering can be tested and changed without touching argument handling or signals.

import type { PhysicalPlan } from '../graph/physical-plan.js';
import type { JobMetrics, TaskMetrics } from '../runtime/metrics.js';
import type { CheckpointStats, CompletedCheckpoint } from '../checkpoint/coordinator.js';
import { newestCompleted } from '../checkpoint/checkpoint-history.js';
import { bar } from './progress.js';
import { MAX_WATERMARK } from '../time/watermark.js';

/** One operator of a running job, as the CLI shows it. */
export interface OperatorShape {
  readonly name: string;
  /** The task (chain) the operator runs in. */
  readonly task: string;
  /** A source: its rate is the records it emits (it reads none). */
  readonly source: boolean;
}

/** The operators of a job in graph order (topological), grouped by the task that runs them. */
export interface JobShape {
  readonly operators: readonly OperatorShape[];
  readonly tasks: readonly { readonly name: string; readonly parallelism: number; readonly operators: readonly string[] }[];
}

/** Per-operator totals over all subtasks. */
export interface OperatorTotals {
  operator: string;
  subtasks: number;
  recordsIn: number;
  recordsOut: number;
  /** Records its error policy dropped, and sent to its dead letters. */
  dropped: number;
  deadLettered: number;
  /** Late records an event-time window or join dropped. */
  lateRecordsDropped: number;
  /** Records sent to side outputs (ctx.output, late data): not in recordsOut. */
  sideOutputRecords: number;
  /** Async operators (asyncMap) only: requests in flight now, and the capacity, over its subtasks. */
  inFlight?: number;
  capacity?: number;
}

/** The object `sluice run --json` prints. */
export interface JsonReport {
  job: string;
  parallelism: number;
  durationMs: number;
  cancelled: boolean;
  /** Records emitted by the sources per second of the job's duration (threads starting included). */
  eventsPerSec: number;
  /** How long the task loops ran (`tasksRanMs`: start-up, restore and the end not in it); 0 if none did. */
  tasksRanMs: number;
  /** Records emitted by the sources per second of `tasksRanMs`, or null if no task ran. */
  eventsPerSecWhileTasksRan: number | null;
  operators: OperatorTotals[];
  tasks: TaskMetrics[];
  /** Records gathered by each collect sink. */
  collected: Record<string, number>;
  /** Checkpoints of this run (null: the job does not checkpoint). */
  checkpoints: { completed: number; aborted: number; last: CompletedCheckpoint | null } | null;
  restarts: number;
  /** The checkpoint the run resumed from, or null. */
  restoredFrom: number | null;
  /**
   * The savepoint `sluice savepoint --stop` took before the job stopped, or null; `readAfter`: source records read
   * after its barrier (in the counts above, not in the savepoint, never published; null if unknown).
   */
  stoppedWithSavepoint: { id: number; name: string | null; readAfter: number | null } | null;
}

export function describeJob(plan: PhysicalPlan, names: readonly string[]): JobShape {
  // A task head that no exchange feeds has no input at all: a source (every other operator has an input).
  const fed = new Set(plan.exchanges.map((e) => e.toNode));
  const operators: OperatorShape[] = [];
  for (const t of plan.tasks) {
    t.nodeIds.forEach((id, k) => operators.push({ name: names[id]!, task: t.name, source: k === 0 && !fed.has(id) }));
  }
  const order = new Map(names.map((n, i) => [n, i]));
  operators.sort((a, b) => order.get(a.name)! - order.get(b.name)!);
  const tasks = plan.tasks.map((t) => ({ name: t.name, parallelism: t.parallelism, operators: t.nodeIds.map((id) => names[id]!) }));
  return { operators, tasks };
}

export function operatorTotals(shape: JobShape, m: JobMetrics): OperatorTotals[] {
  const by = new Map<string, OperatorTotals>(shape.operators.map((o) => [o.name, { operator: o.name, subtasks: 0, recordsIn: 0, recordsOut: 0, dropped: 0, deadLettered: 0, lateRecordsDropped: 0, sideOutputRecords: 0 }]));
  for (const o of m.operators) {
    const t = by.get(o.operator);
    if (!t) continue;
    t.subtasks++;
    t.recordsIn += o.recordsIn;
    t.recordsOut += o.recordsOut;
    t.dropped += o.dropped;
    t.deadLettered += o.deadLettered;
    t.lateRecordsDropped += o.lateRecordsDropped;
    t.sideOutputRecords += o.sideOutputRecords;
    if (o.capacity !== undefined) {
      t.inFlight = (t.inFlight ?? 0) + o.inFlight!;
      t.capacity = (t.capacity ?? 0) + o.capacity;
    }
  }
  return [...by.values()];
}

/** Records the sources have emitted so far. */
export function sourceRecords(shape: JobShape, m: JobMetrics): number {
  const sources = new Set(shape.operators.filter((o) => o.source).map((o) => o.name));
  let n = 0;
  for (const o of m.operators) if (sources.has(o.operator)) n += o.recordsOut;
  return n;
}

// ---- numbers ----

/** 1234 → "1.23k", 1234567 → "1.23M": short enough for a status line. */
export function compact(n: number): string {
  if (!Number.isFinite(n)) return '-';
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(a >= 1e10 ? 1 : 2)}G`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(a >= 1e7 ? 1 : 2)}M`;
  if (a >= 1e3) return `${(n / 1e3).toFixed(a >= 1e4 ? 1 : 2)}k`;
  return a >= 10 || n === 0 ? String(Math.round(n)) : n.toFixed(1);
}

/** 1234567 → "1,234,567": exact counts in the summary. */
export function grouped(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function duration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(h > 0 ? 2 : 1, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}h${mm}m${ss}s` : `${mm}m${ss}s`;
}

/** A time span that may be long (event-time lag of synthetic timestamps) or negative: "1.2s", "3d4h", "-0.5s". */
export function span(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms < 0) return `-${span(-ms)}`;
  const day = 86_400_000;
  if (ms < day) return duration(ms);
  if (ms < 365 * day) return `${Math.floor(ms / day)}d${Math.floor((ms % day) / 3_600_000)}h`;
  return `${Math.floor(ms / (365.25 * day))}y`;
}

/** 3481 → "3.4 KiB". */
export function bytes(n: number): string {
  if (!Number.isFinite(n)) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return u === 0 ? `${Math.round(v)} B` : `${v.toFixed(Math.abs(v) >= 100 ? 0 : 1)} ${units[u]}`;
}

function percent(part: number, whole: number): string {
  return whole > 0 ? `${Math.round((100 * part) / whole)}%` : '-';
}

// ---- the live status line ----

/** Rates between two metrics samples of the same job (`from` older, or undefined for "since the start"). */
export interface Rates {
  elapsedMs: number;
  /** Records per second emitted by all sources together. */
  sourcePerSec: number;
  /** Per operator: records per second in (out, for a source). */
  operatorPerSec: Map<string, number>;
  /** Per task: share of its subtasks' time spent backpressured, 0..1 (NaN before any time is accounted). */
  taskBackpressure: Map<string, number>;
  /** Per task: share of its subtasks' time an aligned source was held back by its group, 0..1 (NaN likewise). */
  taskHeld: Map<string, number>;
  /** Per task: share of its subtasks' time spent waiting for async results (asyncWaitMs), 0..1 (NaN likewise). */
  taskAsyncWait: Map<string, number>;
  /** Per async operator (asyncMap): requests in flight in the newer sample, and capacity, over its subtasks. */
  inFlight: Map<string, { inFlight: number; capacity: number }>;
}

export function rates(shape: JobShape, from: JobMetrics | undefined, to: JobMetrics): Rates {
  const dtSec = Math.max(1e-3, (to.durationMs - (from?.durationMs ?? 0)) / 1000);
  const before = from ? operatorTotals(shape, from) : [];
  const after = operatorTotals(shape, to);
  const operatorPerSec = new Map<string, number>();
  after.forEach((o, i) => {
    const src = shape.operators[i]!.source;
    const now = src ? o.recordsOut : o.recordsIn;
    const then = before[i] ? (src ? before[i].recordsOut : before[i].recordsIn) : 0;
    operatorPerSec.set(o.operator, (now - then) / dtSec);
  });
  const taskBackpressure = new Map<string, number>();
  const taskHeld = new Map<string, number>();
  const taskAsyncWait = new Map<string, number>();
  type Sums = { bp: number; held: number; wait: number; all: number };
  const sumTasks = (m: JobMetrics | undefined): Map<string, Sums> => {
    const s = new Map<string, Sums>();
    for (const t of m?.tasks ?? []) {
      const e = s.get(t.task) ?? { bp: 0, held: 0, wait: 0, all: 0 };
      e.bp += t.backpressuredMs;
      e.held += t.alignmentHeldMs;
      e.wait += t.asyncWaitMs;
      e.all += accountedMs(t);
      s.set(t.task, e);
    }
    return s;
  };
  const tb = sumTasks(from);
  for (const [task, a] of sumTasks(to)) {
    const b = tb.get(task) ?? { bp: 0, held: 0, wait: 0, all: 0 };
    const all = a.all - b.all;
    taskBackpressure.set(task, all > 0 ? (a.bp - b.bp) / all : Number.NaN);
    taskHeld.set(task, all > 0 ? (a.held - b.held) / all : Number.NaN);
    taskAsyncWait.set(task, all > 0 ? (a.wait - b.wait) / all : Number.NaN);
  }
  const inFlight = new Map<string, { inFlight: number; capacity: number }>();
  for (const o of after) if (o.capacity !== undefined) inFlight.set(o.operator, { inFlight: o.inFlight!, capacity: o.capacity });
  const sourcePerSec = (sourceRecords(shape, to) - (from ? sourceRecords(shape, from) : 0)) / dtSec;
  return { elapsedMs: to.durationMs, sourcePerSec, operatorPerSec, taskBackpressure, taskHeld, taskAsyncWait, inFlight };
}

/** Every moment of a subtask's task loop: busy, backpressured, idle or waiting for async results. */
export function accountedMs(t: TaskMetrics): number {
  return t.busyMs + t.backpressuredMs + t.idleMs + t.asyncWaitMs;
}

/** What the live line shows beside the rates. */
export interface LiveInfo {
  /** Share of a bounded input read so far, 0..1 (undefined: unknown). */
  progress?: number | undefined;
  /** Draw the progress as a bar (a terminal). */
  progressBar?: boolean;
  /** The watermark of the subtask holding event time back, and its lag, ms (slowestWatermark). */
  watermark?: { watermark: number; lagMs: number } | undefined;
  /** The newest completed checkpoint, and how long ago it was seen to complete. */
  checkpoint?: { id: number; kind: string; bytes: number; durationMs: number; ageMs: number } | undefined;
}

/**
 * The subtask with the largest watermark lag (the one holding event time back), or undefined without watermarks.
 * An idle subtask's holds nothing back: its stale watermark would read as a lag that grows for as long as it idles.
 */
export function slowestWatermark(m: JobMetrics): { watermark: number; lagMs: number } | undefined {
  let slowest: { watermark: number; lagMs: number } | undefined;
  for (const t of m.tasks) {
    if (t.watermark === null || t.watermarkLagMs === null || t.watermarkIdle || (slowest !== undefined && t.watermarkLagMs <= slowest.lagMs)) continue;
    slowest = { watermark: t.watermark, lagMs: t.watermarkLagMs };
  }
  return slowest;
}

/** Event times before this are not wall-clock ms since the epoch (synthetic 0, 1, 2..., or seconds). */
const WALL_CLOCK_FROM = Date.UTC(2000, 0, 1);
/** Nor are ones more than a year ahead of the clock (µs or ns since the epoch). */
const WALL_CLOCK_AHEAD_MS = 366 * 86_400_000;

/**
 * Whether a watermark reads as wall-clock time, so that its lag (the clock minus it, taken when `lagMs` was) says
 * how far event time is behind: for synthetic event times it is the clock's age in their units ("56y"), noise.
 */
export function isWallClockWatermark(watermark: number, lagMs: number): boolean {
  return watermark >= WALL_CLOCK_FROM && watermark < MAX_WATERMARK && lagMs >= -WALL_CLOCK_AHEAD_MS;
}

/** A watermark for a human: '-' (none yet), 'end' (input ended), an ISO time when it is wall-clock time, else the number. */
export function watermarkText(watermark: number | null, lagMs: number | null): string {
  if (watermark === null) return '-';
  if (watermark >= MAX_WATERMARK) return 'end';
  if (lagMs !== null && isWallClockWatermark(watermark, lagMs)) return new Date(watermark).toISOString();
  return watermark.toLocaleString('en-US', { maximumFractionDigits: 3 });
}

/**
 * The sources whose counts give a share of the input read: none once the sources started from checkpointed
 * positions (a resume, or a restart within the run), whose records before them are unknown here. Counting the
 * replayed records reached 100% early after a restart.
 */
export function progressSources<S>(handle: { readonly restoredFrom: number | undefined; readonly sources: readonly S[]; restarts(): number }): readonly S[] {
  return handle.restoredFrom === undefined && handle.restarts() === 0 ? handle.sources : [];
}

/**
 * The share of the input read, when every source is bounded and says how many records it has; undefined
 * otherwise.
 */
export function inputProgress(shape: JobShape, m: JobMetrics, sources: readonly { bounded: boolean; count: number | undefined }[]): number | undefined {
  if (sources.length === 0 || sources.some((s) => !s.bounded || s.count === undefined)) return undefined;
  const total = sources.reduce((n, s) => n + s.count!, 0);
  return total === 0 ? 1 : Math.min(1, sourceRecords(shape, m) / total);
}

function liveHead(r: Rates, live: LiveInfo): string {
  let head = `${duration(r.elapsedMs)}  ${compact(r.sourcePerSec)} ev/s`;
  if (live.progress !== undefined) {
    const pct = `${Math.floor(live.progress * 100)}%`;
    head += live.progressBar ? `  ${bar(live.progress, 12)} ${pct}` : `  ${pct}`;
  }
  // Synthetic event times: the watermark itself, as their lag behind the clock means nothing.
  const wm = live.watermark;
  if (wm !== undefined) head += isWallClockWatermark(wm.watermark, wm.lagMs) ? `  wm lag ${span(wm.lagMs)}` : `  wm ${watermarkText(wm.watermark, wm.lagMs)}`;
  const c = live.checkpoint;
  if (c) head += `  ${c.kind === 'savepoint' ? 'sp' : 'cp'} ${c.id} ${bytes(c.bytes)}/${Math.round(c.durationMs)}ms ${span(c.ageMs)} ago`;
  return head;
}

/**
 * One line: elapsed, events/s at the sources (with progress, event-time lag and the last checkpoint when there
 * are), then each task's operators with their rates and the task's backpressure share (and held share, for an
 * aligned source held back by its group). Operators in one task share their thread, so backpressure is shown once
 * per task. Narrow terminals get shorter forms (one rate per task), then a cut.
 */
export function statusLine(shape: JobShape, r: Rates, width = Infinity, live: LiveInfo = {}): string {
  const head = liveHead(r, live);
  // Held time is idle time of aligned sources only: shown when there was some, so other jobs' lines stay as they were.
  const bp = (task: string): string => {
    const v = r.taskBackpressure.get(task);
    const h = r.taskHeld.get(task);
    const held = h === undefined || !(h > 0) ? '' : ` held ${Math.round(h * 100)}%`;
    const a = r.taskAsyncWait.get(task);
    const wait = a === undefined || !(a > 0) ? '' : ` async wait ${Math.round(a * 100)}%`;
    return (v === undefined || Number.isNaN(v) ? '' : ` bp ${Math.round(v * 100)}%`) + held + wait;
  };
  // An async operator's requests in flight of its capacity: full, it takes no input (its task waits on them).
  const rate = (op: string): string => {
    const f = r.inFlight.get(op);
    return `${compact(r.operatorPerSec.get(op) ?? 0)}/s${f === undefined ? '' : ` in flight ${compact(f.inFlight)}/${compact(f.capacity)}`}`;
  };
  const full = shape.tasks.map((t) => t.operators.map((op) => `${op} ${rate(op)}`).join('  ') + bp(t.name));
  const byTask = shape.tasks.map((t) => {
    const ops = t.operators.length > 2 ? `${t.operators[0]}…${t.operators.at(-1)}` : t.operators.join('→');
    return `${ops} ${rate(t.operators[0]!)}${bp(t.name)}`;
  });
  const heads = shape.tasks.map((t) => `${t.operators[0]} ${rate(t.operators[0]!)}${bp(t.name)}`);
  for (const parts of [full, byTask, heads]) {
    const line = `${head} │ ${parts.join(' │ ')}`;
    if (line.length <= width) return line;
  }
  const line = `${head} │ ${heads.join(' │ ')}`;
  return width >= 2 ? `${line.slice(0, width - 1)}…` : line.slice(0, Math.max(0, width));
}

// ---- the summary ----

/** Columns padded to their widest cell, indented two spaces; columns from `rightFrom` on right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], rightFrom: number): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const fmt = (r: readonly string[]): string =>
    r.map((cell, c) => (c >= rightFrom ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd();
  return [fmt(header), ...rows.map(fmt)].map((l) => `  ${l}`).join('\n');
}

export interface SummaryInput {
  job: string;
  metrics: JobMetrics;
  /** 'finished', 'cancelled' or 'failed'. */
  outcome: string;
  /** Records each collect sink got, by name (JobResult.collectedCounts: the CLI keeps no records). */
  collected?: Record<string, number>;
  /** Checkpoints of the run (checkpointing jobs). */
  checkpoints?: CheckpointStats | undefined;
  restarts?: number;
  /** A stop with savepoint: the source records read after its barrier (JobResult.readAfterSavepoint). */
  readAfterSavepoint?: number | undefined;
}

/** "starting: job.ts (parallelism 2, 1 thread; src ×2 | count -> out ×2)": what runs where, as the run starts. */
export function startingLine(job: string, parallelism: number, threads: number, shape: JobShape): string {
  return `starting: ${job} (parallelism ${parallelism}, ${threads} ${threads === 1 ? 'thread' : 'threads'}; ${shape.tasks.map((t) => `${t.name} ×${t.parallelism}`).join(' | ')})`;
}

/** Below this share of the job's duration, the time its tasks ran is said apart, with the rate over it. */
const STARTUP_WORTH_SAYING = 0.9;

/**
 * How long the job's task loops ran: the longest busy + backpressured + idle time of a subtask (each counts every
 * moment of its thread's loop, from its start), so what came before the loops (threads starting, modules loading,
 * restoring) and after them is not in it. 0 when no task ran.
 */
export function tasksRanMs(m: JobMetrics): number {
  let ran = 0;
  for (const t of m.tasks) ran = Math.max(ran, accountedMs(t));
  return ran;
}

/** The end-of-job summary: totals, per-operator records, per-task time split, collected counts. */
export function summary(shape: JobShape, s: SummaryInput): string {
  const m = s.metrics;
  const events = sourceRecords(shape, m);
  const perSec = events / Math.max(1e-3, m.durationMs / 1000);
  // A stop with savepoint: the sources read on while it completed; say what it covers, and what it does not.
  const after = s.readAfterSavepoint;
  const covered = after === undefined ? '' : ` (the savepoint covers ${grouped(events - after)}; the ${grouped(after)} read after its barrier were not published, and a job resumed from it reads them again)`;
  const lines = [`sluice: ${s.job} ${s.outcome} after ${duration(m.durationMs)}: ${grouped(events)} ${events === 1 ? 'event' : 'events'} from the sources${covered}, ${compact(perSec)} events/s`];
  // The duration counts threads starting (and restoring, and ending): in a short run that can be half of it, and
  // the rate above then reads far below what the job does once it runs.
  const ran = tasksRanMs(m);
  if (ran > 0 && ran < m.durationMs * STARTUP_WORTH_SAYING) {
    lines.push(`  ${compact(events / (ran / 1000))} events/s over the ${duration(ran)} its tasks ran (the other ${duration(m.durationMs - ran)}: threads starting, restoring, ending)`);
  }
  // Columns for records sent to side outputs and records an error policy dropped or dead-lettered, when there are
  // any: without them, in and out would not add up and nothing would say why.
  const totals = operatorTotals(shape, m);
  const side = totals.some((o) => o.sideOutputRecords > 0);
  const rejected = totals.some((o) => o.dropped > 0 || o.deadLettered > 0);
  lines.push(table(
    ['operator', 'subtasks', 'records in', 'records out', ...(side ? ['to side outputs'] : []), ...(rejected ? ['dropped', 'dead-lettered'] : [])],
    totals.map((o) => [o.operator, String(o.subtasks), grouped(o.recordsIn), grouped(o.recordsOut),
      ...(side ? [grouped(o.sideOutputRecords)] : []), ...(rejected ? [grouped(o.dropped), grouped(o.deadLettered)] : [])]),
    1,
  ));
  // Latency columns only when some sink measured latency (latency tracking on).
  const latency = m.tasks.some((t) => t.latency !== null);
  // Time waiting for an asyncMap's requests, when there was some: apart from idle, which it is not.
  const asyncWait = m.tasks.some((t) => t.asyncWaitMs > 0);
  // Markers an asyncMap dropped, when it did: the latency beside is read from fewer markers than were sent.
  const thinned = m.tasks.some((t) => t.latencyMarkersDropped > 0);
  const ms = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '' : v < 10 ? v.toFixed(2) : grouped(v));
  lines.push(table(
    ['task', 'subtask', 'thread', 'busy ms', 'backpressured ms', 'idle ms', ...(asyncWait ? ['async wait ms'] : []), 'backpressured', ...(latency ? ['latency p50 ms', 'p99 ms', 'max ms'] : []),
      ...(thinned ? ['markers dropped'] : [])],
    m.tasks.map((t) => [t.task, String(t.subtask), String(t.thread), grouped(t.busyMs), grouped(t.backpressuredMs), grouped(t.idleMs),
      ...(asyncWait ? [grouped(t.asyncWaitMs)] : []), percent(t.backpressuredMs, accountedMs(t)),
      ...(latency ? [ms(t.latency?.p50Ms), ms(t.latency?.p99Ms), ms(t.latency?.maxMs)] : []),
      ...(thinned ? [grouped(t.latencyMarkersDropped)] : [])]),
    1,
  ));
  const late = m.operators.reduce((n, o) => n + o.lateRecordsDropped, 0);
  if (late > 0) lines.push(`  late records dropped: ${grouped(late)}`);
  if (s.checkpoints) lines.push(`  ${checkpointSummary(s.checkpoints)}${s.restarts ? `; ${s.restarts} restart${s.restarts === 1 ? '' : 's'}` : ''}`);
  const collected = Object.entries(s.collected ?? {});
  if (collected.length > 0) lines.push(`  collected: ${collected.map(([k, v]) => `${k} ${grouped(v)}`).join(', ')}`);
  return lines.join('\n');
}

/** "checkpoints: 12 completed (last 14: 3.4 KiB in 45 ms), 1 aborted"; "(last 14 unaligned: ...)" when it was. */
export function checkpointSummary(c: CheckpointStats): string {
  const last = newestCompleted(c);
  const lastText = last ? ` (last ${last.id}${last.kind === 'checkpoint' ? '' : ` ${last.kind}${last.name ? ` '${last.name}'` : ''}`}${last.unaligned ? ' unaligned' : ''}: ${bytes(last.bytesWritten)} in ${Math.round(last.durationMs)} ms)` : '';
  return `checkpoints: ${grouped(c.completedTotal)} completed${lastText}, ${grouped(c.abortedTotal)} aborted`;
}

export function jsonReport(shape: JobShape, r: {
  job: string; parallelism: number; cancelled: boolean; metrics: JobMetrics; collected: Record<string, number>;
  checkpoints?: CheckpointStats | undefined; restarts?: number; restoredFrom?: number | undefined;
  stoppedWithSavepoint?: CompletedCheckpoint | undefined; readAfterSavepoint?: number | undefined;
}): JsonReport {
  const m = r.metrics;
  return {
    job: r.job,
    parallelism: r.parallelism,
    durationMs: Math.round(m.durationMs * 1000) / 1000,
    cancelled: r.cancelled,
    eventsPerSec: Math.round(sourceRecords(shape, m) / Math.max(1e-3, m.durationMs / 1000)),
    tasksRanMs: Math.round(tasksRanMs(m) * 1000) / 1000,
    eventsPerSecWhileTasksRan: tasksRanMs(m) > 0 ? Math.round(sourceRecords(shape, m) / (tasksRanMs(m) / 1000)) : null,
    operators: operatorTotals(shape, m),
    tasks: m.tasks,
    collected: r.collected,
    checkpoints: r.checkpoints ? {
      completed: r.checkpoints.completedTotal,
      aborted: r.checkpoints.abortedTotal,
      last: newestCompleted(r.checkpoints) ?? null,
    } : null,
    restarts: r.restarts ?? 0,
    restoredFrom: r.restoredFrom ?? null,
    stoppedWithSavepoint: r.stoppedWithSavepoint ? { id: r.stoppedWithSavepoint.id, name: r.stoppedWithSavepoint.name ?? null, readAfter: r.readAfterSavepoint ?? null } : null,
  };
}

// ---- failures ----

/** A failed job, for a human: name and message; for an operator failure its operator, subtask and the cause's stack. */
/** Failures of the machine, not of code (a full disk): their message says it all, sluice's frames add nothing. */
const FRAMES_SAY_NOTHING = new Set(['CheckpointChunkWriteError']);

export function formatFailure(err: unknown): string {
  if (!(err instanceof Error)) return `sluice: job failed: ${String(err)}`;
  const lines = [`sluice: job failed: ${err.name}: ${err.message}`];
  const e = err as Error & { operator?: unknown; subtask?: unknown };
  if (err.name === 'OperatorError' && typeof e.operator === 'string') {
    lines.push(`  operator: ${e.operator}`, `  subtask:  ${String(e.subtask)}`);
    const cause = err.cause instanceof Error ? err.cause : undefined;
    if (cause) lines.push(`  cause:    ${indent(cause.stack ?? `${cause.name}: ${cause.message}`, '            ')}`);
  } else if (err.stack && !FRAMES_SAY_NOTHING.has(err.name)) {
    // The first stack line repeats the message; the frames are what help.
    const frames = err.stack.split('\n').filter((l) => /^\s+at /.test(l));
    if (frames.length > 0) lines.push(frames.join('\n'));
  }
  return lines.join('\n');
}

function indent(text: string, pad: string): string {
  return text.split('\n').map((l, i) => (i === 0 ? l : pad + l.trimStart())).join('\n');
}

/** The error as JSON for `--json` (the same facts as formatFailure). */
export function failureJson(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const e = err as Error & { operator?: unknown; subtask?: unknown };
  const out: Record<string, unknown> = { name: err.name, message: err.message };
  if (typeof e.operator === 'string') {
    out.operator = e.operator;
    out.subtask = e.subtask;
    if (err.cause instanceof Error) {
      const code = (err.cause as { code?: unknown }).code;
      out.cause = { name: err.cause.name, message: err.cause.message, ...(typeof code === 'string' ? { code } : {}), stack: err.cause.stack };
    }
  }
  return out;
}
