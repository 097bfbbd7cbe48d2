// Runs on: main thread of the `sluice status` process. Asks the job running with a state directory (another
// process: `sluice run --state-dir`, or an embedded job that called serveControl) how it is doing, through its
// control socket, and prints it: for a human, or one JSON object with --json.
//
// Exit codes: 0 the job answered; 1 no job runs in that state directory, or it could not answer; 2 the path is no
// state directory (no-job-there.ts).

import { NoJobRunningError, requestControl, type ControlStatus } from '../runtime/control-server.js';
import { noJobThere } from './no-job-there.js';
import { checkpointSummary, compact, duration, grouped, isWallClockWatermark, operatorTotals, rates, span, table, watermarkText, type JobShape, type OperatorTotals } from './status.js';

export interface StatusCommandOptions {
  json?: boolean;
  /** Give up waiting for the job's answer after this long, ms (0: wait as long as the job takes). */
  timeout: number;
}

/** The object `sluice status --json` prints. */
export interface StatusReport extends Pick<ControlStatus, 'stateDir' | 'pid' | 'job' | 'file' | 'startedAt' | 'uptimeMs' | 'parallelism' | 'restarts' | 'restoredFrom' | 'checkpoints'> {
  /** 'restarting': between two attempts, after a failure (see `restarting`), not running. */
  state: 'running' | 'restarting';
  restarting: NonNullable<ControlStatus['restarting']> | null;
  lastFailure: NonNullable<ControlStatus['lastFailure']> | null;
  /** The window the rates are taken over, ms: the last second or two (since the start in the job's first two seconds). */
  ratesOverMs: number;
  /** Records per second the sources emitted in that window. */
  eventsPerSec: number;
  /** Totals since the start; perSec in the window (records in; records out for a source). */
  operators: (OperatorTotals & { task: string; source: boolean; perSec: number })[];
  /**
   * Per task, in the window: the share of its time backpressured and (aligned sources) held back, 0..1 (null: no
   * time accounted yet); its lowest watermark and largest watermark lag over its subtasks that are not idle, ms
   * (null: none yet; the lag also when the watermark is not wall-clock time, isWallClockWatermark: synthetic event
   * times); how many of its subtasks are idle (TaskMetrics.watermarkIdle).
   */
  tasks: { task: string; parallelism: number; operators: string[]; backpressured: number | null; held: number | null; asyncWait: number | null; watermark: number | null; watermarkLagMs: number | null; idleSubtasks: number }[];
}

export async function statusCommand(stateDir: string, opts: StatusCommandOptions): Promise<number> {
  try {
    const r = await requestControl(stateDir, { op: 'status' }, opts.timeout);
    if (!('status' in r)) throw new Error('the job answered without its status');
    // A job served by an older sluice answers without metrics: say so rather than print a table of undefined.
    if (r.status.metrics === undefined) throw new Error(`the job running there (pid ${r.status.pid}) runs an older sluice, whose status has no metrics`);
    const report = statusReport(r.status);
    process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : `${statusText(report)}\n`);
    return 0;
  } catch (thrown) {
    const { error: e, code } = thrown instanceof NoJobRunningError ? noJobThere(stateDir, thrown) : { error: thrown, code: 1 };
    const err = e as Error;
    process.stderr.write(`sluice status: ${err.name === 'Error' ? '' : `${err.name}: `}${err.message}\n`);
    if (opts.json) process.stdout.write(`${JSON.stringify({ stateDir, error: { name: err.name, message: err.message } })}\n`);
    return code;
  }
}

/** The job's shape from its status: operators in plan order, grouped by the task that runs them. */
function shapeOf(s: ControlStatus): JobShape {
  const sources = new Set(s.sources);
  return {
    operators: s.tasks.flatMap((t) => t.operators.map((name) => ({ name, task: t.name, source: sources.has(name) }))),
    tasks: s.tasks,
  };
}

export function statusReport(s: ControlStatus): StatusReport {
  const shape = shapeOf(s);
  const r = rates(shape, s.earlier ?? undefined, s.metrics);
  const byName = new Map(shape.operators.map((o) => [o.name, o]));
  const share = (v: number | undefined): number | null => (v === undefined || Number.isNaN(v) ? null : v);
  return {
    stateDir: s.stateDir,
    pid: s.pid,
    job: s.job,
    file: s.file,
    startedAt: s.startedAt,
    uptimeMs: Math.round(s.uptimeMs),
    parallelism: s.parallelism,
    state: s.restarting ? 'restarting' : 'running',
    restarts: s.restarts,
    restarting: s.restarting ?? null,
    lastFailure: s.lastFailure ?? null,
    restoredFrom: s.restoredFrom,
    ratesOverMs: Math.round(s.metrics.durationMs - (s.earlier?.durationMs ?? 0)),
    eventsPerSec: Math.round(r.sourcePerSec),
    operators: operatorTotals(shape, s.metrics).map((o) => ({
      ...o, task: byName.get(o.operator)!.task, source: byName.get(o.operator)!.source, perSec: Math.round(r.operatorPerSec.get(o.operator) ?? 0),
    })),
    tasks: s.tasks.map((t) => {
      const subtasks = s.metrics.tasks.filter((m) => m.task === t.name);
      // An idle subtask (no split to read, withIdleness) holds no event time back downstream, watermark or none.
      // (`=== true`: a job served by an older sluice has no flag.)
      const idle = subtasks.filter((m) => m.watermarkIdle === true);
      const active = subtasks.filter((m) => m.watermarkIdle !== true);
      // The task's event time is its slowest active subtask's; one without a watermark yet holds it at none. All
      // idle: the highest any reached, where downstream goes when every input is idle (watermark-valve.ts).
      const counted = active.length > 0 ? active : idle;
      const wms = counted.map((m) => m.watermark);
      const known = wms.filter((w): w is number => w !== null);
      const lags = counted.map((m) => m.watermarkLagMs).filter((l): l is number => l !== null);
      const watermark = active.length > 0 ? (wms.includes(null) ? null : Math.min(...known)) : known.length === 0 ? null : Math.max(...known);
      const lag = lags.length === 0 ? null : Math.round(active.length > 0 ? Math.max(...lags) : Math.min(...lags));
      return {
        task: t.name, parallelism: t.parallelism, operators: t.operators,
        backpressured: share(r.taskBackpressure.get(t.name)), held: share(r.taskHeld.get(t.name)), asyncWait: share(r.taskAsyncWait.get(t.name)),
        watermark,
        // Synthetic event times (0, 1, 2...) lag the clock by decades: no lag, rather than one that alarms for nothing.
        watermarkLagMs: watermark !== null && lag !== null && isWallClockWatermark(watermark, lag) ? lag : null,
        idleSubtasks: idle.length,
      };
    }),
    checkpoints: s.checkpoints,
  };
}

export function statusText(r: StatusReport): string {
  const pct = (v: number | null): string => (v === null ? '-' : `${Math.round(v * 100)}%`);
  const restarts = r.restarts === 0 ? 'no restarts' : `${r.restarts} restart${r.restarts === 1 ? '' : 's'}`;
  const rs = r.restarting;
  // Between attempts nothing runs: "running" would hide a job that keeps failing behind its restart delays.
  const what = rs === null ? `running for ${duration(r.uptimeMs)}`
    : `restarting after a failure (restart ${rs.restart} from ${rs.from === null ? 'the beginning' : `checkpoint ${rs.from}`}, ${rs.inMs > 0 ? `in ${span(rs.inMs)}` : 'starting now'}), up ${duration(r.uptimeMs)}`;
  const f = r.lastFailure;
  const lines = [
    `${r.job ?? 'job'}${r.file !== null ? ` (${r.file})` : ''}: ${what}, pid ${r.pid}, parallelism ${r.parallelism}, ${restarts}${rs === null ? '' : ' so far'}`,
    ...(f === null ? [] : [`last failure ${span(f.agoMs)} ago: ${f.name}: ${f.message.split('\n')[0]}`]),
    `state: ${r.stateDir}${r.restoredFrom !== null ? ` (resumed from checkpoint ${r.restoredFrom})` : ''}`,
    checkpointSummary({ completed: r.checkpoints.latest ? [r.checkpoints.latest] : [], aborted: [], completedTotal: r.checkpoints.completed, abortedTotal: r.checkpoints.aborted }),
    `${compact(r.eventsPerSec)} events/s from the sources (over the last ${duration(r.ratesOverMs)})`,
  ];
  // An asyncMap's requests in flight of its capacity, and its task's time waiting on them, when the job has one.
  const async = r.operators.some((o) => o.capacity !== undefined);
  lines.push(table(['operator', 'task', 'subtasks', 'records in', 'records out', 'per second', ...(async ? ['in flight'] : [])],
    r.operators.map((o) => [o.operator, o.task, String(o.subtasks), grouped(o.recordsIn), grouped(o.recordsOut), `${compact(o.perSec)}/s`,
      ...(async ? [o.capacity === undefined ? '-' : `${grouped(o.inFlight!)}/${grouped(o.capacity)}`] : [])]), 2));
  const held = r.tasks.some((t) => t.held !== null && t.held > 0);
  const wait = r.tasks.some((t) => t.asyncWait !== null && t.asyncWait > 0);
  // Idle subtasks, when there are: what the watermark beside is taken without ("idle 2/3").
  const idle = r.tasks.some((t) => t.idleSubtasks > 0);
  lines.push(table(['task', 'parallelism', 'backpressured', ...(held ? ['held'] : []), ...(wait ? ['async wait'] : []), ...(idle ? ['idle'] : []), 'watermark', 'watermark lag'],
    r.tasks.map((t) => [t.task, String(t.parallelism), pct(t.backpressured), ...(held ? [pct(t.held)] : []), ...(wait ? [pct(t.asyncWait)] : []),
      ...(idle ? [t.idleSubtasks === 0 ? '-' : `${t.idleSubtasks}/${t.parallelism}`] : []),
      watermarkText(t.watermark, t.watermarkLagMs), t.watermarkLagMs === null ? '-' : span(t.watermarkLagMs)]), 1));
  return lines.join('\n');
}
