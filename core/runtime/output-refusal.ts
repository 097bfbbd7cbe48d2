// Runs on: main thread. Why JobHandle.output(sink) refused to hand out a reader: callers branch on `reason`, the
// message says what to do instead.

/**
 * 'no-such-sink': the job has no collect sink of that name (the message lists those it has); 'counting': the run
 * counts its collect sinks' records (collect: 'count'), none is kept to read; 'ended': the job has ended, its records
 * are in result.collected; 'has-reader': the sink already has a reader (one per sink).
 */
export type OutputRefusedReason = 'no-such-sink' | 'counting' | 'ended' | 'has-reader';

/** JobHandle.output(sink) refused at once: no reader was made. `sink`: the name asked for. */
export class OutputRefusedError extends Error {
  constructor(readonly reason: OutputRefusedReason, readonly sink: string, message: string) {
    super(message);
    this.name = 'OutputRefusedError';
  }
}
