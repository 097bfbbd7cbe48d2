// Runs on: the worker thread of a socket source subtask.
//
// Lines of text from a TCP connection, like Flink's socketTextStream: connects to host:port, frames LF-ended
// lines, decodes them strictly as UTF-8. Never blocks: socket data is buffered by the event loop, `read()` hands
// out what is there and `ready()` resolves when more arrives. The socket is paused while the buffer is over its
// high-water mark, so a fast sender is held back by TCP instead of filling memory.
//
// Not rewindable: what a socket sent cannot be asked for again, so a restore resumes with whatever the socket
// sends next (at-most-once for the lines in flight). The snapshot position is informational (connection and
// line counts).

import { connect, type Socket } from 'node:net';
import { LineFramer, RECORD_OVERHEAD_BYTES, checkMaxLineBytes, type FramedRecord } from '../formats/line-framer.js';
import { badRecord, locate, recordText } from '../formats/record-format.js';
import { BadInputError, ConnectorOptionError, IncompleteLineError, SocketSourceError } from '../errors.js';
import { SOURCE_END, SOURCE_MORE, SOURCE_WAIT, type SourceStatus } from '../source.js';
import type { BadRecord, SourceReader, SourceSplit } from '../source.js';
import { Wakeup } from '../wakeup.js';
import { RecordQueue } from '../record-queue.js';
import { shownValue } from '../../api/shown-value.js';
import { isNumber } from '../../api/number-option.js';

export interface ReconnectOptions {
  /** Wait before each reconnect, ms. Default 500. */
  delayMs?: number;
  /** Consecutive failed connection attempts before the source fails. Default unlimited. */
  maxAttempts?: number;
}

export interface SocketTextOptions {
  host: string;
  port: number;
  /** Longest line in bytes. Default 1 MiB. */
  maxLineBytes?: number;
  /** Reconnect when the connection ends or cannot be made; false (default) ends the source when it closes. */
  reconnect?: boolean | ReconnectOptions;
  /**
   * Pause the socket while this many bytes of complete lines wait to be read (plus at most one partial line of up to
   * maxLineBytes, and one read's lines). Each line counts its bytes plus RECORD_OVERHEAD_BYTES. Default 1 MiB.
   */
  highWaterBytes?: number;
}

export interface SocketPosition {
  /** 1-based number of the current connection. */
  readonly connection: number;
  /** Lines handed out on it. */
  readonly lines: number;
}

interface Queued {
  readonly record: FramedRecord;
  readonly source: string;
  /** The connection failed (this says how) before this line's end: bad input, not a line. */
  readonly cutShort?: string;
}

/**
 * Reconnection, buffer and line limits as the reader takes them: `socketTextStream` calls this while the job is
 * built, so a bad value fails there rather than in the subtask's reader (where a job that checkpoints restarted on it).
 */
export function checkSocketOptions(o: Omit<SocketTextOptions, 'host' | 'port'>, what: string): void {
  const r = o.reconnect === true ? {} : o.reconnect || undefined;
  if (r !== undefined) {
    const delayMs = r.delayMs ?? 500;
    const maxAttempts = r.maxAttempts ?? Infinity;
    if (!(isNumber(delayMs) && delayMs >= 0 && isNumber(maxAttempts) && maxAttempts >= 1)) throw new ConnectorOptionError(`${what}: reconnect needs delayMs >= 0 and maxAttempts >= 1, got ${shownValue(delayMs)} and ${shownValue(maxAttempts)}`);
  }
  // 0 would pause at the first data for good: a resume needs the queue under half of it.
  const highWater = o.highWaterBytes ?? 1 << 20;
  if (!Number.isSafeInteger(highWater) || highWater < 1) throw new ConnectorOptionError(`${what}: highWaterBytes must be a positive integer, got ${shownValue(o.highWaterBytes)}`);
  checkMaxLineBytes(o.maxLineBytes, `${what}: `);
}

export class SocketTextReader implements SourceReader<string> {
  readonly rewindable = false;
  readonly address: string;
  private readonly host: string;
  private readonly port: number;
  private readonly maxLineBytes: number | undefined;
  private readonly reconnect: Required<ReconnectOptions> | undefined;
  private readonly highWater: number;
  private readonly wakeup = new Wakeup();
  private readonly queue = new RecordQueue<Queued>();
  private queuedBytes = 0;
  private socket: Socket | undefined;
  private framer: LineFramer | undefined;
  private connection = 0;
  private lines = 0;
  private failedAttempts = 0;
  private timer: NodeJS.Timeout | undefined;
  private ended = false;
  private closed = false;
  private failure: Error | undefined;

  constructor(options: SocketTextOptions) {
    if (typeof options.host !== 'string' || options.host.length === 0) throw new ConnectorOptionError(`socket source: host must be a non-empty string, got ${JSON.stringify(options.host)}`);
    if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) throw new ConnectorOptionError(`socket source: port must be 1..65535, got ${shownValue(options.port)}`);
    this.host = options.host;
    this.port = options.port;
    this.address = `${this.host}:${this.port}`;
    this.maxLineBytes = options.maxLineBytes;
    const r = options.reconnect === true ? {} : options.reconnect || undefined;
    this.reconnect = r === undefined ? undefined : { delayMs: r.delayMs ?? 500, maxAttempts: r.maxAttempts ?? Infinity };
    this.highWater = options.highWaterBytes ?? 1 << 20;
    checkSocketOptions(options, 'socket source');
    this.open();
  }

  /** Whether the socket is paused because the buffer is full. */
  get paused(): boolean {
    return this.socket?.isPaused() ?? false;
  }

  /** Bytes received and not yet handed out (lines queued plus a partial line). */
  get bufferedBytes(): number {
    return this.queuedBytes + (this.framer?.bufferedBytes ?? 0);
  }

  /** Connections made so far. */
  get connections(): number {
    return this.connection;
  }

  read(emit: (line: string) => void, max: number, invalid: (bad: BadRecord) => void): SourceStatus {
    let k = 0;
    while (k < max && this.queue.size > 0) {
      const { record, source, cutShort } = this.queue.take();
      this.queuedBytes -= record.bytes.length + RECORD_OVERHEAD_BYTES;
      this.lines++;
      k++;
      let text: string;
      try {
        if (cutShort !== undefined) throw new IncompleteLineError(locate(record, source), record.bytes.length, cutShort);
        text = recordText(record, source);
      } catch (e) {
        if (!(e instanceof BadInputError)) throw e;
        invalid(badRecord(record, source, e));
        continue;
      }
      emit(text);
    }
    if (this.socket?.isPaused() && this.queuedBytes < this.highWater / 2) this.socket.resume();
    if (k > 0) return SOURCE_MORE;
    if (this.failure !== undefined) throw this.failure;
    return this.ended ? SOURCE_END : SOURCE_WAIT;
  }

  ready(): Promise<void> {
    if (this.queue.size > 0 || this.ended || this.failure !== undefined) return Promise.resolve();
    return this.wakeup.wait();
  }

  snapshot(_checkpointId: number): SourceSplit[] {
    const position: SocketPosition = { connection: this.connection, lines: this.lines };
    return [{ id: `tcp://${this.address}`, position }];
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.socket?.destroy();
    this.socket = undefined;
  }

  private open(): void {
    if (this.closed) return;
    const n = ++this.connection;
    const source = `tcp://${this.address}#${n}`;
    const framer = new LineFramer(0, 1, { maxLineBytes: this.maxLineBytes, stripBom: false });
    const socket = connect({ host: this.host, port: this.port });
    this.socket = socket;
    this.framer = framer;
    let connected = false;
    /** How the connection failed after it was made (a reset), if it did. */
    let broken: string | undefined;
    socket.on('connect', () => { connected = true; this.failedAttempts = 0; });
    socket.on('data', (chunk: Buffer) => {
      framer.push(chunk);
      this.take(framer, source);
      // Complete lines only: reading them frees their bytes, while the partial line in the framer only shrinks when
      // its end arrives, which a pause would hold back forever (the framer bounds it by maxLineBytes itself).
      if (this.queuedBytes >= this.highWater) socket.pause();
      this.wakeup.notify();
    });
    socket.on('error', (e) => {
      if (!connected) this.failedAttempts++;
      else broken ??= e.message;
      if (this.reconnect === undefined || this.failedAttempts >= this.reconnect.maxAttempts) {
        const attempts = this.reconnect ? ` after ${this.failedAttempts} attempt${this.failedAttempts === 1 ? '' : 's'}` : '';
        this.failure ??= new SocketSourceError(`socket source ${this.address}: ${connected ? 'connection failed' : 'cannot connect'}${attempts}: ${e.message}`, { cause: e });
      }
    });
    socket.on('close', () => {
      // A connection that ended is over: its last line, unterminated or not, is complete. One that failed (a
      // reset) cut its last line short: bad input, never a value.
      const partial = framer.partialBytes > 0;
      framer.finish();
      this.take(framer, source, partial ? broken : undefined);
      if (this.socket === socket) this.socket = undefined;
      if (this.closed || this.failure !== undefined || this.reconnect === undefined) this.ended = this.failure === undefined;
      else this.timer = setTimeout(() => this.open(), this.reconnect.delayMs);
      this.wakeup.notify();
    });
  }

  /** Queues what the framer has; `cutShort`: the connection failed, so the last record (the partial one finish framed) is not a line. */
  private take(framer: LineFramer, source: string, cutShort?: string): void {
    for (let r = framer.shift(); r !== undefined; r = framer.shift()) {
      this.queue.push(cutShort !== undefined && framer.queued === 0 ? { record: r, source, cutShort } : { record: r, source });
      this.queuedBytes += r.bytes.length + RECORD_OVERHEAD_BYTES;
    }
  }
}
