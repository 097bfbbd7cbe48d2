// Runs on: the worker thread of each sink subtask of a Nexmark latency job. The two ways a result's latency is
// taken at the sink, each also folding the query's output checksum:
// - per event (q1): arrival minus the time the row's event was due at its source (paced-source.ts), recorded
//   by event-latencies.ts (the warm-up apart) into this subtask's HdrHistogram, handed back encoded; arrival is
//   read at the end of the batch the row came in (SinkWriter.batchEnd), or per row with `clockPerEvent`;
// - per window (q7): (window end, arrival) of every row, handed back for the main thread, which alone knows when
//   each window closed (window-closing.ts).
// What `finish` returns reaches the caller in `result.collected.out`, one entry per sink subtask.

import type { SinkSpec } from '../../core/index.js';
import { epochMs } from '../job-generator.js';
import { NexmarkConfigError, type NexmarkConfig } from './config.js';
import { EventLatencyTally, type EventLatencyPart } from './event-latencies.js';
import { readSourceStart, type SourceStart } from './latency-dir.js';
import { eventOfQ1Row, timesNameEvents, type LatencyParams } from './latency-params.js';
import { dueAt } from './pacer.js';
import { q7Hash, RowFold, type Q1Row, type Q7Row } from './queries.js';

export interface WindowResultsPart {
  rows: number;
  checksum: number;
  windowEnds: number[];
  atMs: number[];
}

/** q1's sink: each row's latency from its event's due time at the source. */
export function eventLatencySink(config: NexmarkConfig, params: LatencyParams): SinkSpec<Q1Row> {
  if (!timesNameEvents(config)) throw new NexmarkConfigError('nexmark latency: per-event latency needs a latencyConfig (event time 1 ms per event, in order)');
  const { dir, parallelism, warmupMs } = params;
  return {
    kind: 'nexmark-event-latency',
    fingerprint: `nexmark-event-latency(p=${parallelism},warmup=${warmupMs})`,
    createWriter() {
      const tally = new EventLatencyTally(warmupMs);
      // Source subtask s's schedule, read once, when its first event arrives (it wrote it before emitting).
      const starts: (SourceStart | undefined)[] = new Array(parallelism).fill(undefined);
      if (params.clockPerEvent === true) {
        return {
          write(row: Q1Row) {
            const at = epochMs();
            const id = eventOfQ1Row(config, row);
            const s = id % parallelism;
            const start = starts[s] ??= readSourceStart(dir, s);
            // Subtask s emits positions s, s + p, ...: this event is its ((id - s) / p)-th.
            tally.add(row, at, dueAt(start.anchorMs, start.ratePerSec, (id - s) / parallelism), start.anchorMs);
          },
          finish: (): EventLatencyPart[] => [tally.part()],
        };
      }
      // The clock once per batch (SinkWriter.batchEnd), after all of it arrived.
      return {
        write(row: Q1Row) {
          const id = eventOfQ1Row(config, row);
          const s = id % parallelism;
          const start = starts[s] ??= readSourceStart(dir, s);
          tally.hold(row, dueAt(start.anchorMs, start.ratePerSec, (id - s) / parallelism), start.anchorMs);
        },
        batchEnd() {
          tally.end(epochMs());
        },
        finish: (): EventLatencyPart[] => {
          tally.end(epochMs());
          return [tally.part()];
        },
      };
    },
  };
}

/** q7's sink: when each row arrived, with its window. */
export function windowResultSink(): SinkSpec<Q7Row> {
  return {
    kind: 'nexmark-window-results',
    fingerprint: 'nexmark-window-results',
    createWriter() {
      const fold = new RowFold(q7Hash);
      const windowEnds: number[] = [];
      const atMs: number[] = [];
      return {
        write(row: Q7Row) {
          atMs.push(epochMs());
          windowEnds.push(row.windowEnd);
          fold.add(row);
        },
        finish: (): WindowResultsPart[] => [{ ...fold.totals(), windowEnds, atMs }],
      };
    },
  };
}
