// Runs on: main thread (the spec) and the worker thread of the socket source's one subtask (reader).
//
// `env.socketTextStream(host, port, options)`: lines of text from a TCP connection (Flink's socketTextStream),
// strictly UTF-8. One split, so parallelism 1. Ends when the connection closes, unless `reconnect` is on (then it
// never ends). Not rewindable: with checkpoints, lines received after the last checkpoint are not received again
// after a failure (at-most-once; the job warns when it starts).

import { ConnectorOptionError } from '../errors.js';
import { SOURCE_END, type SourceSpec } from '../source.js';
import { SocketTextReader, checkSocketOptions, type ReconnectOptions, type SocketTextOptions } from './socket-text-reader.js';
import { shownValue } from '../../api/shown-value.js';
import { checkKnownOptions } from '../../api/known-options.js';

export type SocketTextStreamOptions = Omit<SocketTextOptions, 'host' | 'port'>;

const SOCKET_KEYS = Object.keys({ maxLineBytes: true, reconnect: true, highWaterBytes: true } satisfies Record<keyof SocketTextStreamOptions, true>);
const RECONNECT_KEYS = Object.keys({ delayMs: true, maxAttempts: true } satisfies Record<keyof ReconnectOptions, true>);

export function socketTextSource(host: string, port: number, options: SocketTextStreamOptions = {}): SourceSpec<string> {
  if (typeof host !== 'string' || host.length === 0) throw new ConnectorOptionError(`socketTextStream: host must be a non-empty string, got ${JSON.stringify(host)}`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConnectorOptionError(`socketTextStream: port must be 1..65535, got ${shownValue(port)}`);
  if (options === null || typeof options !== 'object') throw new ConnectorOptionError(`socketTextStream: options must be an object, got ${shownValue(options)}`);
  checkKnownOptions(options, SOCKET_KEYS, 'socketTextStream', (m) => new ConnectorOptionError(m));
  if (typeof options.reconnect === 'object' && options.reconnect !== null) checkKnownOptions(options.reconnect, RECONNECT_KEYS, 'socketTextStream: reconnect', (m) => new ConnectorOptionError(m));
  checkSocketOptions(options, 'socketTextStream');
  const id = `tcp://${host}:${port}`;
  return {
    kind: 'socket',
    fingerprint: `socket(${host}:${port},${JSON.stringify(options)})`,
    maxParallelism: 1,
    bounded: !options.reconnect,
    rewindable: false,
    enumerateSplits: () => [{ id, position: { connection: 0, lines: 0 } }],
    createReader(_subtask, _parallelism, splits) {
      if (splits.length === 0) return { read: () => SOURCE_END, ready: () => Promise.resolve(), snapshot: () => [] };
      return new SocketTextReader({ ...options, host, port });
    },
  };
}
