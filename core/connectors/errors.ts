// Runs on: any thread. Typed errors of the connector building blocks (formats, files, sockets, Redis).
// Callers branch on `code`, never on message text. Bad-input errors (`BadInputError`) classify one record precisely
// so the runtime's error policy (fail / drop / dead-letter) can act on it; the others fail the source or sink.

export type ConnectorErrorCode =
  | 'MALFORMED_JSON'        // a JSON Lines line that is not one JSON value
  | 'CSV_COLUMN_COUNT'      // a CSV record with more or fewer fields than the header / declared columns
  | 'CSV_SYNTAX'            // a quote where RFC 4180 allows none, an unterminated quoted field
  | 'CSV_HEADER'            // a header row that cannot name the columns (empty, duplicate names, bad bytes)
  | 'INVALID_UTF8'          // bytes that are not well-formed UTF-8
  | 'LINE_TOO_LONG'         // a line (record) longer than the configured maximum
  | 'LINE_INCOMPLETE'       // a line cut short by a connection that failed before its end
  | 'ENTRY_UNDECODABLE'     // a Redis stream entry whose fields do not decode
  | 'ENTRIES_LOST'          // Redis stream entries deleted (trimmed) before the source read them
  | 'ENCODE_FAILED'         // a value a sink encoder cannot write
  | 'NO_INPUT_FILES'        // an input path or pattern that matches no file
  | 'FILE_TRUNCATED'        // a followed file shrank below the read position
  | 'FILE_REPLACED'         // a restored split's path holds another file, and no file the patterns match is its own
  | 'FILE_COMMIT_FAILED'    // a pending part file that cannot be published
  | 'SINK_COMMIT_FAILED'    // a sink's commit (publishing a completed checkpoint's transactions) threw
  | 'SOURCE_SPLITS_FAILED'  // a source's enumerateSplits, restoreSplits or ownerOf threw (main thread, before threads start)
  | 'SOCKET_FAILED'         // connecting to or reading from a socket failed (after any reconnects)
  | 'REDIS_FAILED'          // a Redis command failed
  | 'REDIS_GROUP_MISSING'   // a Redis source's consumer group is gone from a stream it reads (deleted, or Redis lost its data)
  | 'INVALID_OPTION';       // a bad option: negative size, unknown column, ...

export class ConnectorError extends Error {
  readonly code: ConnectorErrorCode;
  constructor(code: ConnectorErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConnectorError';
    this.code = code;
  }
}

/** Where a bad record was found: the source (file path, stream, socket) and, for line-based input, line and byte. */
export interface InputLocation {
  /** File path, `host:port`, or Redis stream key. */
  readonly source: string;
  /** 1-based line number of the record's first line (0 when not line-based). */
  readonly line: number;
  /** Byte offset of the record's first byte in the source (-1 when not byte-addressed). */
  readonly offset: number;
}

/** Human-readable position of a bad record: `file:line`, `stream/id`, `host:port:line`. */
export function describeLocation(at: InputLocation): string {
  return at.line > 0 ? `${at.source}:${at.line}` : at.source;
}

/** One record of input is bad; the rest of the input is fine. Carries the location for the error policy. */
export class BadInputError extends ConnectorError {
  readonly location: InputLocation;
  constructor(code: ConnectorErrorCode, location: InputLocation, message: string, options?: { cause?: unknown }) {
    const at = location.offset >= 0 ? `${describeLocation(location)} (byte ${location.offset})` : describeLocation(location);
    super(code, `${message} at ${at}`, options);
    this.name = 'BadInputError';
    this.location = location;
  }
}

export class MalformedJsonError extends BadInputError {
  constructor(location: InputLocation, cause: unknown) {
    super('MALFORMED_JSON', location, `malformed JSON: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'MalformedJsonError';
  }
}

export class CsvColumnCountError extends BadInputError {
  readonly expected: number;
  readonly actual: number;
  constructor(location: InputLocation, expected: number, actual: number) {
    super('CSV_COLUMN_COUNT', location, `CSV record has ${actual} field${actual === 1 ? '' : 's'}, expected ${expected}`);
    this.name = 'CsvColumnCountError';
    this.expected = expected;
    this.actual = actual;
  }
}

export class CsvSyntaxError extends BadInputError {
  constructor(location: InputLocation, detail: string) {
    super('CSV_SYNTAX', location, `CSV syntax error: ${detail}`);
    this.name = 'CsvSyntaxError';
  }
}

/** The header row itself is unusable: every record after it would be misread, so this fails the source. */
export class CsvHeaderError extends ConnectorError {
  constructor(location: InputLocation, detail: string, options?: { cause?: unknown }) {
    super('CSV_HEADER', `CSV header at ${describeLocation(location)}: ${detail}`, options);
    this.name = 'CsvHeaderError';
  }
}

export class InvalidUtf8Error extends BadInputError {
  /** Offset of the first invalid byte within the record. */
  readonly byteInRecord: number;
  constructor(location: InputLocation, byteInRecord: number, byte: number) {
    super('INVALID_UTF8', location,
      `invalid UTF-8: byte 0x${byte.toString(16).padStart(2, '0')} at offset ${byteInRecord} of the record cannot start or continue a character`);
    this.name = 'InvalidUtf8Error';
    this.byteInRecord = byteInRecord;
  }
}

export class LineTooLongError extends BadInputError {
  readonly length: number;
  readonly limit: number;
  /** The bad record's raw input is the line's first `limit` bytes: its dead letter says `truncated`. */
  readonly rawTruncated = true;
  constructor(location: InputLocation, length: number, limit: number) {
    super('LINE_TOO_LONG', location, `line of ${length} bytes exceeds the maximum of ${limit} bytes (option 'maxLineBytes'); its first ${limit} bytes are kept`);
    this.name = 'LineTooLongError';
    this.length = length;
    this.limit = limit;
  }
}

/** A socket line whose connection failed (a reset) before its line end: what came of it is not the line. */
export class IncompleteLineError extends BadInputError {
  /** The bad record's raw input is what arrived of the line: its dead letter says `truncated`. */
  readonly rawTruncated = true;
  constructor(location: InputLocation, received: number, reason: string) {
    super('LINE_INCOMPLETE', location, `line cut short after ${received} bytes: the connection failed before its end (${reason})`);
    this.name = 'IncompleteLineError';
  }
}

export class EntryUndecodableError extends BadInputError {
  constructor(location: InputLocation, detail: string, options?: { cause?: unknown }) {
    super('ENTRY_UNDECODABLE', location, `stream entry does not decode: ${detail}`, options);
    this.name = 'EntryUndecodableError';
  }
}

/**
 * Entries of a Redis stream that were deleted (XTRIM, MAXLEN, XDEL) before the source read them: those after the
 * last id read, up to an id or before one, or one pending entry of a consumer group. Bad input, so the source's
 * error policy decides (fail, or drop / dead-letter it, counted) instead of losing them silently.
 */
export class StreamEntriesLostError extends BadInputError {
  readonly stream: string;
  /** The entries after this id are gone; undefined: the one pending entry `upTo`. */
  readonly after: string | undefined;
  /** ... up to this id (inclusive), or */
  readonly upTo: string | undefined;
  /** ... before this one (the first entry a trim kept). */
  readonly before: string | undefined;
  /** How many, when known. */
  readonly count: number | undefined;
  constructor(stream: string, range: { after?: string; upTo?: string; before?: string; count?: number }, detail: string) {
    const { after, upTo, before, count } = range;
    super('ENTRIES_LOST', { source: after === undefined ? `${stream}/${upTo}` : `${stream}/${after}..${upTo ?? before}`, line: 0, offset: -1 }, `entries lost: ${detail}`);
    this.name = 'StreamEntriesLostError';
    this.stream = stream;
    this.after = after;
    this.upTo = upTo;
    this.before = before;
    this.count = count;
  }
}

export class EncodeError extends ConnectorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ENCODE_FAILED', message, options);
    this.name = 'EncodeError';
  }
}

export class NoInputFilesError extends ConnectorError {
  readonly patterns: readonly string[];
  constructor(patterns: readonly string[], detail: string) {
    super('NO_INPUT_FILES', `no input files: ${detail}`);
    this.name = 'NoInputFilesError';
    this.patterns = patterns;
  }
}

export class FileTruncatedError extends ConnectorError {
  /**
   * `rewritten`: it did not shrink below the position, but the bytes just before it changed (follow mode).
   * `sizeBefore`: it shrank from that size while it was read, not below the position (not following).
   */
  constructor(path: string, size: number, position: number, rewritten = false, sizeBefore?: number) {
    super('FILE_TRUNCATED', rewritten
      ? `${path} was rewritten: the bytes just before the read position ${position} are not the ones read (truncated and written again past it, now ${size} bytes); reading on would start mid-line`
      : sizeBefore !== undefined
        ? `${path} shrank from ${sizeBefore} to ${size} bytes while it was read: truncated, its last ${sizeBefore - size} bytes were never read (read it once it is written, or with follow)`
        : `${path} shrank to ${size} bytes, below the read position ${position}: truncated or replaced after it was read (a restore resumes a file where its checkpoint recorded)`);
    this.name = 'FileTruncatedError';
  }
}

/**
 * A split restored at a position (or found by a scan) whose path now holds another file (another device and inode),
 * and no file the patterns match is its file: reading the other one at that position would read another file's
 * bytes. Following, its split ends with a warning (as a deleted file's); not following, the input is not whole, and
 * the job fails without restarts (permanent-error.ts: each would restore the same position).
 */
export class FileReplacedError extends ConnectorError {
  constructor(readonly path: string, position: { offset: number; line: number }) {
    super('FILE_REPLACED', `${path} holds another file than the one read up to line ${position.line} (byte ${position.offset}) (another device and inode: rotated, or replaced, as by a restore from a backup, rsync or sed -i, even with the same bytes), and no file the patterns match is that one (renamed away or deleted): reading on at that byte of another file could skip or garble lines, and a restart from the checkpoint meets it again. To read the input again from its start (records before that position are output again), resume with --allow-non-restored-state (allowNonRestoredState) and the source under another uid, or start without resuming`);
    this.name = 'FileReplacedError';
  }
}

/**
 * A file sink's parts cannot be published. `permanent`: what is on disk says so (a damaged record of published parts,
 * a part cut short or gone): a restart restores the same checkpoint and meets it again, so the job fails without
 * restarts (permanent-error.ts). Else (an I/O error reading the record) a restart may find it gone.
 */
export class FileCommitError extends ConnectorError {
  readonly permanent: boolean;
  constructor(message: string, options?: { cause?: unknown; permanent?: boolean }) {
    super('FILE_COMMIT_FAILED', message, options);
    this.name = 'FileCommitError';
    this.permanent = options?.permanent === true;
  }
}

/** A sink's `commit` threw: names the sink and the checkpoint; `cause` is what it threw (a connector's own error). */
export class SinkCommitError extends ConnectorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SINK_COMMIT_FAILED', message, options);
    this.name = 'SinkCommitError';
  }
}

/**
 * A source's split hook threw on the main thread (`enumerateSplits`, `restoreSplits`, `ownerOf`): names the source,
 * its kind and the hook; `cause` is what it threw.
 */
export class SourceSplitsError extends ConnectorError {
  /** The hook that threw: `ownerOf` (a function of the split: a restart cannot fix it) or a listing (it may). */
  readonly hook: string | undefined;
  constructor(message: string, options?: { cause?: unknown; hook?: string }) {
    super('SOURCE_SPLITS_FAILED', message, options);
    this.name = 'SourceSplitsError';
    this.hook = options?.hook;
  }
}

export class SocketSourceError extends ConnectorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SOCKET_FAILED', message, options);
    this.name = 'SocketSourceError';
  }
}

export class RedisConnectorError extends ConnectorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('REDIS_FAILED', message, options);
    this.name = 'RedisConnectorError';
  }
}

/**
 * A consumer group the source reads through is no longer on a stream (the stream was deleted, or Redis lost its
 * data): the read positions of its consumers cannot be read on from, so a restart from a checkpoint fails the same
 * way (the runtime does not restart for it).
 */
export class RedisGroupMissingError extends ConnectorError {
  /** The stream without the group (the first, when the message names several: fields cross threads as plain values). */
  readonly stream: string;
  readonly group: string;
  constructor(stream: string, group: string, message: string, options?: { cause?: unknown }) {
    super('REDIS_GROUP_MISSING', message, options);
    this.name = 'RedisGroupMissingError';
    this.stream = stream;
    this.group = group;
  }
}

export class ConnectorOptionError extends ConnectorError {
  constructor(message: string) {
    super('INVALID_OPTION', message);
    this.name = 'ConnectorOptionError';
  }
}
