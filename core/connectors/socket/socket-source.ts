// Runs on: main thread (the spec) and the worker thread of the socket source's one subtask (reader).
//
// `env.socketTextStream(host, port, options)`: lines of text from a TCP connection (Flink's socketTextStream),
// strictly UTF-8. One split, so parallelism 1. Ends when the connection closes, unless `reconnect` is on (then it
// never ends). Not rewindable: with checkpoints, lines received after the last checkpoint are not received again
// after a failure (at-most-once; the job warns when it starts).

import { ConnectorOptionError } from '../errors.js';
import { SOURCE_END, type SourceSpec } from '../source.js';
import { SocketTextReader, checkSocketOptions, type SocketTextOptions } from './socket-text-reader.js';
import { shownValue } from '../../api/shown-value.js';

export type SocketTextStreamOptions = Omit<SocketTextOptions, 'host' | 'port'>;

export function socketTextSource(host: string, port: number, options: SocketTextStreamOptions = {}): SourceSpec<string> {
  if (typeof host !== 'string' || host.length === 0) throw new ConnectorOptionError(`socketTextStream: host must be a non-empty string, got ${JSON.stringify(host)}`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConnectorOptionError(`socketTextStream: port must be 1..65535, got ${shownValue(port)}`);
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
