// Runs on: main thread (and any thread a job module is loaded on). The public API of sluice.

export { defineJob, StreamEnvironment, type JobDefinition, type JobBuilder } from './api/environment.js';
export { BroadcastDataStream, DataStream, KeyedStream } from './api/data-stream.js';
export type { ReduceOptions } from './api/data-stream.js';
export type { NumericField } from './api/field-aggregations.js';
export type * from './api/functions.js';
export type * from './api/state.js';
export { OutputTag } from './api/output-tag.js';
export { WindowedStream } from './api/windowed-stream.js';
export { AllWindowedStream } from './api/all-windowed-stream.js';
export { ConnectedStreams, KeyedConnectedStreams } from './api/connected-streams.js';
export { JoinedStreams, JoinWhereEqual, WindowedCoGroup, WindowedJoin, type CoGroupedStreams } from './api/joined-streams.js';
export { IntervalJoin, IntervalJoined } from './api/interval-join.js';
export { BroadcastStream, BroadcastConnectedStream, ConnectedBroadcastStreams, KeyedBroadcastConnectedStream, KeyedConnectedBroadcastStreams } from './api/broadcast-stream.js';
export { MapStateDescriptor, type BroadcastState, type ReadOnlyBroadcastState } from './api/broadcast-state.js';
export type * from './api/co-functions.js';
export type * from './api/window-functions.js';
export { TimeWindow, GlobalWindow, type Window } from './windows/window.js';
export { WindowAssigner } from './windows/window-assigner.js';
export { TumblingEventTimeWindows, TumblingProcessingTimeWindows } from './windows/tumbling-windows.js';
export { SlidingEventTimeWindows, SlidingProcessingTimeWindows } from './windows/sliding-windows.js';
export { EventTimeSessionWindows, ProcessingTimeSessionWindows } from './windows/session-windows.js';
export { GlobalWindows } from './windows/global-windows.js';
export { Trigger, TriggerResult, type TriggerContext, type OnMergeContext } from './windows/trigger.js';
export { EventTimeTrigger } from './windows/event-time-trigger.js';
export { ProcessingTimeTrigger } from './windows/processing-time-trigger.js';
export { CountTrigger } from './windows/count-trigger.js';
export { PurgingTrigger } from './windows/purging-trigger.js';
export { ContinuousEventTimeTrigger } from './windows/continuous-event-time-trigger.js';
export { ContinuousProcessingTimeTrigger } from './windows/continuous-processing-time-trigger.js';
export { NeverTrigger } from './windows/never-trigger.js';
export { Evictor, CountEvictor, TimeEvictor } from './windows/evictor.js';
export { WatermarkStrategy, type WatermarkGenerator, type WatermarkOutput, type TimestampAssigner } from './time/watermark-strategy.js';
export { MIN_WATERMARK, MAX_WATERMARK } from './time/watermark.js';
export { TooManyCheckpointFailuresError } from './checkpoint/failure-counter.js';
export { CheckpointChunkWriteError } from './checkpoint/chunk-write-error.js';
export {
  CheckpointAbortedError, CheckpointNotStartedError, CheckpointRefusedError, type CheckpointAbortReason, type CheckpointNotStartedReason,
  type CheckpointRefusedReason,
} from './checkpoint/checkpoint-refusal.js';
export { NoCheckpointError, type RestoreProgress } from './checkpoint/restore.js';
export { StateDirError } from './checkpoint/store.js';
export type { CompletedCheckpoint, CheckpointStats } from './checkpoint/checkpoint-history.js';
export type { RestartStrategy } from './checkpoint/restart-strategy.js';
export type { CheckpointConfig } from './graph/logical-graph.js';
export { JobDefinitionError, JobLoadError, SavepointNameError, OperatorError, GraphMismatchError, RecordRejectedError, WorkerDiedError, JobCancelledError, JobNotRunningError, NotCheckpointingError, type NotRunningState } from './api/errors.js';
export { run, type RunOptions, type JobHandle, type JobResult, type Collected, type JobFailure, type Restarting } from './runtime/run.js';
export { OutputRefusedError, type OutputRefusedReason } from './runtime/output-refusal.js';
export { deleteSavepoint, type DeletedSavepoint } from './checkpoint/delete-savepoint.js';
export { ThreadCache, type ThreadCacheOptions } from './runtime/thread-cache.js';
export type { JobMetrics, OperatorMetrics, TaskMetrics } from './runtime/metrics.js';
export { generatorSource, SplitRandom, type GeneratorOptions, type Random } from './connectors/generator.js';
export { collectionSource } from './connectors/collection.js';
export { asyncIterableSource } from './connectors/async-iterable.js';
export type { SinkSpec, SinkWriter, PreparedTransaction, CommitContext } from './connectors/sink.js';
export { collectSink } from './connectors/collect-sink.js';
export { printSink } from './connectors/print-sink.js';
export { discardSink } from './connectors/discard-sink.js';
export { SOURCE_MORE, SOURCE_WAIT, SOURCE_END, assignSplits, type SourceSpec, type SourceReader, type SourceSplit, type SourceStatus, type BadRecord, type SplitTracker, type ReaderContext } from './connectors/source.js';
export { DEAD_LETTERS, type DeadLetter, type ErrorPolicy } from './api/dead-letters.js';
export type { AsyncMapFunction, AsyncMapOptions } from './api/async-map.js';
export { AsyncIoError, AsyncIoTimeoutError, AsyncIoRequestError } from './operators/async-io.js';
export { jsonLines, type JsonLinesOptions, type JsonLinesFormat } from './connectors/formats/jsonl.js';
export { csv, type CsvOptions, type CsvColumn, type CsvRow, type CsvWritable, type CsvFormat } from './connectors/formats/csv.js';
export type { RecordFormat, SinkFormat, RecordDecoder, RecordEncoder } from './connectors/formats/record-format.js';
export { fileSource, type FromFilesOptions } from './connectors/file/file-source.js';
export { fileSink, type FileSinkOptions } from './connectors/file/file-sink.js';
export type { FollowOptions } from './connectors/file/file-growth.js';
export { socketTextSource, type SocketTextStreamOptions } from './connectors/socket/socket-source.js';
export { redisStreamsSource, type RedisStreamsSourceOptions } from './connectors/redis/redis-stream-source.js';
export { redisStreamSink, type RedisStreamSinkOptions } from './connectors/redis/redis-stream-sink.js';
export { jsonField, entryAsIs, type StreamEntry, type EntryDecoder } from './connectors/redis/redis-entry.js';
export type { RedisConnection, RedisConnectionOptions } from './connectors/redis/redis-connection.js';
export {
  ConnectorError, BadInputError, MalformedJsonError, CsvColumnCountError, CsvSyntaxError, CsvHeaderError, InvalidUtf8Error, LineTooLongError, IncompleteLineError,
  EntryUndecodableError, StreamEntriesLostError, EncodeError, NoInputFilesError, FileTruncatedError, FileReplacedError, FileCommitError, SinkCommitError, SourceSplitsError, SocketSourceError, RedisConnectorError, RedisGroupMissingError,
  ConnectorOptionError, type ConnectorErrorCode,
} from './connectors/errors.js';
export { RecordTooLargeError } from '../shm/errors.js';
export { SinkCommitHungError } from './checkpoint/sink-commit-hung.js';
export type { Key } from './graph/key-groups.js';
export { KeyTypeError, type KeyPart, type TupleKey, type UserKey } from './graph/tuple-key.js';
export { recordSchema, optional, type Infer } from '../shm/codec/schema.js';
export { typedCodec } from '../shm/codec/typed.js';
export { genericCodec } from '../shm/codec/generic.js';
export type { LatencyMetrics } from './runtime/metrics.js';
export { serveMetrics, jobRegistry, type MetricsServer, type MetricsServerOptions } from './runtime/metrics-server.js';
export {
  serveControl, requestControl, controlSocketPath, NoJobRunningError, type ControlServer, type ControlRequest, type ControlResponse,
  type ControlOptions, type ControlStatus, type CancelledJob,
} from './runtime/control-server.js';
