// Runs on: main thread. Whether a run checkpoints, and how (interval, mode, timeouts, retention, state directory),
// from run()'s options and the job's enableCheckpointing: checked once, before the first attempt.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JobDefinitionError } from '../api/errors.js';
import type { LogicalGraph } from '../graph/logical-graph.js';
import { checkTolerableFailures } from '../checkpoint/failure-counter.js';
import type { RunOptions } from './run-options.js';
import { shownValue } from '../api/shown-value.js';
import { isNumber } from '../api/number-option.js';

export interface CheckpointSettings {
  stateDir: string;
  intervalMs: number;
  unaligned: boolean;
  alignmentTimeoutMs: number;
  timeoutMs: number;
  retained: number;
  tolerableFailures: number;
}

/** The longest delay setTimeout takes as it is. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Checkpointing is on when the job or the options ask for an interval, a state directory or a resume. */
export function checkpointSettings(graph: LogicalGraph, o: RunOptions, jobUrl: string): CheckpointSettings | undefined {
  const fromJob = graph.checkpointing;
  const intervalMs = o.checkpointIntervalMs ?? fromJob?.intervalMs ?? 0;
  if (!(isNumber(intervalMs) && intervalMs >= 0)) throw new JobDefinitionError(`checkpointIntervalMs must be >= 0, got ${shownValue(intervalMs)}`);
  if (intervalMs === 0 && o.stateDir === undefined && !o.resume && !fromJob) return undefined;
  const mode = o.checkpointMode ?? fromJob?.mode ?? 'aligned';
  if (mode !== 'aligned' && mode !== 'unaligned') throw new JobDefinitionError(`checkpointMode must be 'aligned' or 'unaligned', got ${String(mode)}`);
  const retained = o.retainedCheckpoints ?? 3;
  const timeoutMs = o.checkpointTimeoutMs ?? 60_000;
  // Node's timers take at most 2^31 - 1 ms, and turn a longer one into 1 ms (every checkpoint would time out).
  if (!(isNumber(timeoutMs) && timeoutMs > 0 && timeoutMs <= MAX_TIMER_MS)) throw new JobDefinitionError(`checkpointTimeoutMs must be a number of ms > 0 and <= ${MAX_TIMER_MS} (~24.8 days), got ${shownValue(timeoutMs)}`);
  if (!Number.isInteger(retained) || retained < 1) throw new JobDefinitionError(`retainedCheckpoints must be an integer >= 1, got ${shownValue(retained)}`);
  const alignmentTimeoutMs = o.alignmentTimeoutMs ?? fromJob?.alignmentTimeoutMs ?? Infinity;
  if (!(isNumber(alignmentTimeoutMs) && alignmentTimeoutMs >= 0)) throw new JobDefinitionError(`alignmentTimeoutMs must be a number of ms >= 0 (Infinity: never), got ${shownValue(alignmentTimeoutMs)}`);
  const name = jobUrl.startsWith('file:') ? path.basename(fileURLToPath(jobUrl)).replace(/\.[cm]?[jt]s$/, '') : 'job';
  return {
    stateDir: path.resolve(o.stateDir ?? path.join('.sluice', name)),
    intervalMs,
    unaligned: mode === 'unaligned',
    alignmentTimeoutMs,
    timeoutMs,
    retained,
    tolerableFailures: checkTolerableFailures(o.tolerableCheckpointFailures ?? fromJob?.tolerableFailures ?? Infinity, 'tolerableCheckpointFailures'),
  };
}

/** Without checkpoints: warns of checkpoint options that then do nothing, and of sinks that would never write. */
export function warnWithoutCheckpoints(graph: LogicalGraph, options: RunOptions, warn: (m: string) => void): void {
  // Options that only mean something with checkpoints: taken silently, they look as if they applied.
  const unused: string[] = (['checkpointMode', 'alignmentTimeoutMs', 'checkpointTimeoutMs', 'tolerableCheckpointFailures', 'retainedCheckpoints', 'allowNonRestoredState'] as const).filter((k) => options[k] !== undefined);
  // A job restarts from its last checkpoint: without checkpoints it never restarts.
  if (options.restartStrategy !== undefined && options.restartStrategy.type !== 'none') unused.push('restartStrategy');
  if (unused.length > 0) warn(`${unused.join(', ')} ${unused.length === 1 ? 'has' : 'have'} no effect: the job does not checkpoint (give it a state directory, a checkpoint interval, or enableCheckpointing)`);
  // Such a sink behind a source that never ends holds every record in memory and writes none.
  const unbounded = graph.nodes.find((n) => n.source !== undefined && !n.source.bounded);
  if (unbounded !== undefined) {
    for (const n of graph.nodes) {
      if (n.sink?.writesAtEndWithoutCheckpoints !== true) continue;
      warn(`sink '${n.name}' (${n.sink.kind}) writes only when its input ends in a job that does not checkpoint, and source '${unbounded.name}' (${unbounded.source!.kind}) never ends: it would hold every record in memory and write none (give the job a state directory, a checkpoint interval, or enableCheckpointing)`);
    }
  }
}
