// Runs on: any thread. Every offset into a shared buffer, in one place (like piscina's src/symbols.ts).
//
// Each field names the thread that writes it and the invariant it keeps. All fields are Int32 slots read and
// written with Atomics; the index constants are Int32Array indices, not byte offsets.

/** Bytes in a cache line on the x86-64 and arm64 machines we run on. */
export const CACHE_LINE_BYTES = 64;
const I32_PER_LINE = CACHE_LINE_BYTES / 4;

// ---- Ring header: four cache lines, then the data area ----------------------------------------------------------

/** Line 0: written only by the producer. */
/** Published write position: free-running byte counter (uint32 arithmetic). Only grows; never passes READ + capacity. */
export const RING_WRITE = 0;
/** 1 while the producer has announced it is about to park for space; the consumer notifies RING_READ only then. */
export const RING_PRODUCER_WAITING = 1;
/** Times the producer announced a park on READ (counted before its last re-check). Only grows; metrics and tests. */
export const RING_PRODUCER_PARKS = 2;
/** Times the producer found the ring full (spun or parked). Only grows. */
export const RING_PRODUCER_FULL = 3;
/**
 * Producer parks on READ that ended by timeout rather than a notify. Only grows. A consumer that keeps the ring
 * over half full for a whole park timeout causes one legitimately (wake hysteresis); with a long park timeout and a
 * consumer that keeps reading, a nonzero count means a lost wake-up (spec/shm/channel.it.spec.ts checks that).
 */
export const RING_PRODUCER_TIMEOUTS = 4;

/** Line 1: written only by the consumer. */
/** Published read position: free-running byte counter. Only grows; never passes RING_WRITE. */
export const RING_READ = I32_PER_LINE;
/** Times the consumer parked on its doorbell while this ring was empty. Only grows. */
export const RING_CONSUMER_PARKS = I32_PER_LINE + 1;

/** Line 2: written once, or by anyone, rarely. */
/** Data-area capacity in bytes, a power of two; written once by the creating thread before sharing. */
export const RING_CAPACITY = 2 * I32_PER_LINE;
/** RING_MAGIC_VALUE once initialised; lets an attaching thread reject a buffer that is not a ring. */
export const RING_MAGIC = 2 * I32_PER_LINE + 1;
/** 0 → 1 once, by any thread (producer, consumer or coordinator) giving up; waiters then throw ChannelAbortedError. */
export const RING_ABORTED = 2 * I32_PER_LINE + 2;
export const RING_MAGIC_VALUE = 0x5e1c_e001;

/** Line 3: the ring's own consumer doorbell, used when the consumer does not share a thread doorbell. */
export const RING_DOORBELL = 3 * I32_PER_LINE;

/** Bytes before the data area. */
export const RING_HEADER_BYTES = 4 * CACHE_LINE_BYTES;

// ---- Block framing inside the data area --------------------------------------------------------------------------

/** Every block starts 4-byte aligned with a u32 length prefix. */
export const BLOCK_ALIGN = 4;
export const BLOCK_PREFIX_BYTES = 4;
/** A length prefix with this value means "the rest of the data area is padding; continue at offset 0". */
export const BLOCK_WRAP = 0xffff_ffff;

// ---- Doorbell: two Int32 slots, anywhere in a shared buffer ------------------------------------------------------

/**
 * Sequence number the consumer waits on. Any thread that rings the doorbell adds 1 and notifies: producers after
 * publishing, consumers after freeing space, the main thread (checkpoint trigger, stop, a reader's credit), a
 * failing worker (stop), an aligned source of its group, the parked thread itself (a settled promise). Only grows
 * (mod 2^32).
 */
export const DOORBELL_SEQ = 0;
/** 1 while the thread that parks on this doorbell has announced it is about to; written only by that thread. */
export const DOORBELL_WAITING = 1;
/** Int32 slots a doorbell takes. Keep a doorbell on its own cache line. */
export const DOORBELL_SLOTS = I32_PER_LINE;

// ---- Job control: one Int32 buffer per running job --------------------------------------------------------------

/**
 * 0 while the job runs; once, never back, to stop every task: by the main thread (cancel, a dead worker) or by a
 * failing worker thread (core/runtime/job-control.ts signalStop), which need not wait for the main thread. The
 * first writer's value stays: STOP_CANCELLED (threads hand their collect sinks' records over for the result) or
 * STOP_FAILED (the attempt failed: its results are dropped, so nothing is handed over to delay a restart).
 */
export const JOB_STOP = 0;
export const STOP_CANCELLED = 1;
export const STOP_FAILED = 2;
/**
 * The latest checkpoint the coordinator triggered, as (id << 2) | flags (JOB_CHECKPOINT_UNALIGNED,
 * JOB_CHECKPOINT_SAVEPOINT): one word, so a source never pairs an id with another checkpoint's flags. Written only
 * by the main thread (the coordinator); only grows. Source subtasks compare it with the last barrier they sent.
 */
export const JOB_CHECKPOINT_TRIGGER = 1;
export const JOB_CHECKPOINT_UNALIGNED = 1;
export const JOB_CHECKPOINT_SAVEPOINT = 2;
/** The id in a trigger word of an unaligned checkpoint (its barriers may overtake queued data), else 0. */
export function unalignedTriggerId(word: number): number {
  return (word & (JOB_CHECKPOINT_UNALIGNED | JOB_CHECKPOINT_SAVEPOINT)) === JOB_CHECKPOINT_UNALIGNED ? word >>> 2 : 0;
}
/** Int32 index of thread 0's doorbell; thread t's is jobDoorbell(t). Rung by producers (data) and consumers (space). */
export const JOB_DOORBELLS = DOORBELL_SLOTS;
/** Int32 index of thread t's doorbell in the job's control buffer. */
export function jobDoorbell(thread: number): number {
  return JOB_DOORBELLS + thread * DOORBELL_SLOTS;
}
/**
 * Int32 index of thread t's loop-turn counter: after the doorbells, a cache line per thread. Written only by thread
 * t (Atomics.store at each turn of its task loop); only grows (mod 2^32). The coordinator samples it to tell a
 * thread stuck in one call (user code that does not return) from one that runs, or is parked on its doorbell.
 */
export function jobLoopTurns(threads: number, thread: number): number {
  return JOB_DOORBELLS + threads * DOORBELL_SLOTS + thread * I32_PER_LINE;
}
/** Offset from jobLoopTurns: 0 → 1 once, by the thread, when its task loop has returned or thrown (all its tasks ended). */
export const LOOP_ENDED = 1;
/**
 * Offset from jobLoopTurns: 0 until the thread hands records over to the main thread (a cancelled collect sink's
 * records, a finished collect sink's tail, a live batch); then a count that grows by one as a handover begins, per
 * part posted and as it ends, and keeps its last value. Written only by the thread. The stop's grace period does not terminate a thread whose count
 * moved since its last look: it has answered the stop, and terminated it would lose what the cancelled run's result
 * holds (its result may still be queued behind the parts); one whose count stood still for a whole period is stuck
 * (a getter that does not return, a close hook after the handover) and is terminated.
 */
export const HANDING_OVER = 2;
export function jobControlSlots(threads: number): number {
  return JOB_DOORBELLS + threads * DOORBELL_SLOTS + threads * I32_PER_LINE;
}

// ---- Watermark alignment: one BigInt64 buffer per attempt (core/time/watermark-alignment.ts) -----------------------
// One slot per plan placement (the same index as the metrics offsets). A source subtask whose watermark strategy
// has withWatermarkAlignment writes its slot (Atomics.store, its thread alone); the other sources of its group read
// it (Atomics.load) to decide whether to hold. Value: the source's watermark (MIN_WATERMARK until its first one),
// or ALIGNMENT_EXCLUDED while it is idle or has ended, so that it holds no one back. Slots of other subtasks stay
// at MIN_WATERMARK and are never read.

/** Bytes per alignment slot. */
export const ALIGNMENT_SLOT_BYTES = 8;
/** A slot's value while its source holds no one back: MAX_WATERMARK (core/time/watermark.ts). */
export const ALIGNMENT_EXCLUDED = Number.MAX_SAFE_INTEGER;

// ---- Output flow: one Int32 buffer per attempt of an untransactional run with a collect sink ----------------------
// A cache line per graph node (node id * OUTPUT_FLOW_SLOTS; only collect sinks' lines are used): credit-based
// backpressure from a reader of the sink (handle.output) to the sink's subtasks (core/operators/live-sink-operator.ts,
// core/runtime/output-credit.ts). Counts are free-running uint32s compared as (a - b) | 0, so they may wrap; the
// credit is never more than 2^30 ahead of what was taken.

/** 1 while a reader with a bound (RunOptions.outputBufferRecords) is attached; written only by the main thread. */
export const OUTPUT_FLOW_ON = 0;
/**
 * Records the sink's subtasks may have taken in all: what the reader has read plus the bound. Written only by the
 * main thread, and only raised. A subtask takes no input while TAKEN has reached it (and FLOW_ON is 1).
 */
export const OUTPUT_CREDIT = 1;
/** Records the sink's subtasks have taken: Atomics.add by each subtask per record. Only grows. */
export const OUTPUT_TAKEN = 2;
/**
 * 1 while a reader is attached (bound or not); written only by the main thread. The sink's subtasks hand their
 * records over while the job runs only then: without a reader they keep them until their end, as posting them
 * costs the job (2 M records collected 1.35x slower with the main thread taking them in as they come).
 */
export const OUTPUT_READER = 3;
/** Int32 slots per node: a cache line, so two sinks' subtasks do not share one. */
export const OUTPUT_FLOW_SLOTS = I32_PER_LINE;

/** Bytes of the output flow buffer of a graph of `nodes` nodes. */
export function outputFlowBytes(nodes: number): number {
  return nodes * OUTPUT_FLOW_SLOTS * Int32Array.BYTES_PER_ELEMENT;
}

// ---- Output hold: one Int32 buffer per attempt of a checkpointed run whose readers have a bound -------------------
// A cache line per graph node (node id * OUTPUT_HOLD_SLOTS; only collect sinks' lines are used): the records a
// collect sink has taken and not yet given its reader (handle.output) bound the sources upstream of it
// (core/runtime/output-hold.ts). The sink's subtasks count, the main thread sets the limit, each source subtask
// compares the two for every collect sink downstream of it and reads nothing while one has reached its limit (it
// still sends barriers). Counts are free-running uint32s compared as (a - b) | 0, as in the output flow.

/** 1 while a reader with a bound is attached; written only by the main thread. Sources ignore the line while 0. */
export const OUTPUT_HOLD_ON = 0;
/**
 * TAKEN at which the sources upstream stop reading: what the reader has read plus the bound, in this attempt's
 * count. Written only by the main thread; raised as the reader reads (it rings every doorbell when it raises a
 * limit that TAKEN had reached: the sources may be parked), and set afresh when an attempt or a reader starts.
 */
export const OUTPUT_HOLD_LIMIT = 1;
/**
 * Records the sink's subtasks have taken in this attempt: Atomics.add by each subtask, COUNT_BATCH records at a
 * time and the rest when its thread flushes (core/operators/counted-sink-operator.ts). Only grows; behind the
 * records taken by less than COUNT_BATCH per subtask.
 */
export const OUTPUT_HOLD_TAKEN = 2;
/** Int32 slots per node: a cache line, so two sinks' subtasks do not share one. */
export const OUTPUT_HOLD_SLOTS = I32_PER_LINE;

/** Bytes of the output hold buffer of a graph of `nodes` nodes. */
export function outputHoldBytes(nodes: number): number {
  return nodes * OUTPUT_HOLD_SLOTS * Int32Array.BYTES_PER_ELEMENT;
}

// ---- Live metrics: one Float64 buffer per running job ------------------------------------------------------------
// Written only by the worker thread that runs the subtask (plain stores: advisory values for the live view; the
// final figures travel with the task's result). Read by the main thread.

/** Per subtask: ms busy in its task, ms parked while blocked on a full output, ms parked while waiting for input. */
export const METRIC_BUSY_MS = 0;
export const METRIC_BACKPRESSURED_MS = 1;
export const METRIC_IDLE_MS = 2;
/** The task's event-time watermark (TaskContext.watermark, ms; MIN_WATERMARK until the first one). Only grows. */
export const METRIC_WATERMARK = 3;
/** Records its source reported as undecodable (Subtask.badRecords). */
export const METRIC_BAD_RECORDS = 4;
/**
 * End-to-end latency at this subtask's sinks, from latency markers (workers/latency-markers.ts): markers received
 * so far (only grows), then p50, p99, p99.9 and max in ms over the recent window (NaN before the first marker).
 */
export const METRIC_LATENCY_COUNT = 5;
export const METRIC_LATENCY_P50_MS = 6;
export const METRIC_LATENCY_P99_MS = 7;
export const METRIC_LATENCY_P999_MS = 8;
export const METRIC_LATENCY_MAX_MS = 9;
/** Of the idle ms, those an aligned source spent held back by its group (watermark alignment). */
export const METRIC_ALIGNMENT_HELD_MS = 10;
/**
 * Ms with nothing to do but wait for an async operator's requests (asyncMap): neither busy, backpressured nor
 * idle. Apart from idle, so a saturated asyncMap does not read as an idle task.
 */
export const METRIC_ASYNC_WAIT_MS = 11;
/**
 * 1 while the stream the subtask sends on is marked idle (no split to read, `withIdleness`, every input idle): its
 * watermark then holds no event time back downstream, so a task's event time is its other subtasks'. 0 otherwise.
 */
export const METRIC_WATERMARK_IDLE = 12;
/**
 * Latency markers its async operators dropped (asyncMap holds at most MAX_HELD_MARKERS behind a request, evenly
 * thinned): a latency read from fewer markers than were sent says so. Only grows.
 */
export const METRIC_LATENCY_MARKERS_DROPPED = 13;
export const METRIC_SUBTASK_SLOTS = 14;
/**
 * Then, per operator of the chain: records in, records out, late records dropped (windows, joins), records
 * dropped and dead-lettered by its error policy, records sent to side outputs (ctx.output, late data), and for an
 * async operator its requests in flight and capacity.
 */
export const METRIC_OP_RECORDS_IN = 0;
export const METRIC_OP_RECORDS_OUT = 1;
export const METRIC_OP_LATE_DROPPED = 2;
export const METRIC_OP_DROPPED = 3;
export const METRIC_OP_DEAD_LETTERED = 4;
export const METRIC_OP_SIDE_OUTPUT = 5;
/**
 * Async operators (asyncMap): requests started whose result is not out yet (a gauge), and their capacity (0 for
 * every other operator: what marks an async one). In flight equal to capacity: saturated, taking no input.
 */
export const METRIC_OP_IN_FLIGHT = 6;
export const METRIC_OP_CAPACITY = 7;
export const METRIC_OPERATOR_SLOTS = 8;

/** Float64 index of the slots of operator `k` of the chain whose subtask's block starts at `subtaskBase`. */
export function metricOperatorAt(subtaskBase: number, k: number): number {
  return subtaskBase + METRIC_SUBTASK_SLOTS + METRIC_OPERATOR_SLOTS * k;
}
