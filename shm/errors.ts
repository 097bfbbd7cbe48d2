// Runs on: any thread. Typed errors of the shared-memory layer.
// Every failure of shm/ is one of these, so callers branch on `code`, never on message text.

export type ShmErrorCode =
  | 'FRAME_TRUNCATED'      // fewer bytes than the frame or record says it has
  | 'FRAME_CORRUPT'        // a header, length, tag or checksum that cannot be right
  | 'RECORD_TOO_LARGE'     // a record that can never fit in the ring
  | 'SCHEMA_MISMATCH'      // a value that does not fit the declared schema
  | 'CHANNEL_CLOSED'       // write after end of stream
  | 'CHANNEL_ABORTED'      // the other side (or the coordinator) gave up
  | 'INVALID_ARGUMENT';    // a bad option: capacity not a power of two, ...

export class ShmError extends Error {
  readonly code: ShmErrorCode;
  constructor(code: ShmErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ShmError';
    this.code = code;
  }
}

/** A frame or record that is shorter than it claims: its bytes end early. */
export class FrameTruncatedError extends ShmError {
  constructor(message: string) {
    super('FRAME_TRUNCATED', message);
    this.name = 'FrameTruncatedError';
  }
}

/** Bytes that cannot be a valid frame or record: decoding them would give a wrong value. */
export class FrameCorruptError extends ShmError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FRAME_CORRUPT', message, options);
    this.name = 'FrameCorruptError';
  }
}

/**
 * A record larger than the ring can ever hold; names the limit and the option that raises it. `controlFrame`: it was
 * no record but a control frame of this type (a barrier, a watermark: only a ring far below the run options' least
 * is that small), said so.
 */
export class RecordTooLargeError extends ShmError {
  readonly size: number;
  readonly limit: number;
  readonly controlFrame: string | undefined;
  constructor(size: number, limit: number, option: string, controlFrame?: string) {
    super('RECORD_TOO_LARGE',
      `${controlFrame === undefined ? 'record' : `control frame (${controlFrame})`} of ${size} bytes exceeds the ring's frame limit of ${limit} bytes (half the ring); raise it with the '${option}' option`);
    this.name = 'RecordTooLargeError';
    this.size = size;
    this.limit = limit;
    this.controlFrame = controlFrame;
  }
}

/** A value that does not match its declared record schema. */
export class SchemaMismatchError extends ShmError {
  constructor(message: string) {
    super('SCHEMA_MISMATCH', message);
    this.name = 'SchemaMismatchError';
  }
}

export class ChannelClosedError extends ShmError {
  constructor(message = 'channel is closed: end of stream was already written') {
    super('CHANNEL_CLOSED', message);
    this.name = 'ChannelClosedError';
  }
}

export class ChannelAbortedError extends ShmError {
  constructor(message = 'channel was aborted: the job is stopping or the other side failed') {
    super('CHANNEL_ABORTED', message);
    this.name = 'ChannelAbortedError';
  }
}

export class InvalidArgumentError extends ShmError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
    this.name = 'InvalidArgumentError';
  }
}
