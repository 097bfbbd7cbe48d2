// Runs on: main thread. A failed attempt whose sinks' commit of a completed checkpoint did not return within
// checkpointTimeoutMs: a restart would publish the same transactions (and run the sinks' recover) beside the
// commit still running, so the run fails instead, and a resume publishes them again once the sink answers.

export class SinkCommitHungError extends Error {
  override readonly name = 'SinkCommitHungError';
  readonly code = 'SINK_COMMIT_HUNG';
}
