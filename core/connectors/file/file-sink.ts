// Runs on: main thread (the spec; commits and recovery) and the worker thread of each file sink subtask (writer).
//
// `fileSink({ dir, format })`: records as lines (JSON Lines, CSV) in rolling part files. With checkpoints the
// output is exactly-once by two-phase commit: each writer closes its part at every barrier and hands it over,
// durable under a hidden pending name, as the checkpoint's transaction; the main thread renames the parts to
// their final names once the checkpoint is complete, and on restore publishes the restored checkpoint's parts and
// deletes what the failed attempt wrote after it. Without checkpoints, parts are published when the job ends.
// Readers of the directory (a file source too) skip the hidden in-progress and pending files.

import { ConnectorOptionError } from '../errors.js';
import type { SinkFormat } from '../formats/record-format.js';
import type { SinkSpec, SinkWriter } from '../sink.js';
import { checkPartNames } from './part-files.js';
import { RollingFileWriter, commitFileSinkTransactions, recoverFileSink, type PartNames } from './rolling-file-writer.js';

export interface FileSinkOptions<T> {
  /** Output directory (created if missing). Give each sink a directory (or prefix) of its own: recovery clears it. */
  dir: string;
  /** jsonLines() or csv({ columns, header }). */
  format: SinkFormat<T>;
  /** Roll to a new part file once a part holds this many bytes. Default 128 MiB. */
  rollBytes?: number;
  /** Roll once a part holds this many records. Default unlimited. */
  rollRecords?: number;
  /** Part file names: `<prefix>-<subtask>-<token>-<n><suffix>`. Default 'part'. */
  prefix?: string;
  /** Default: the format's extension ('.jsonl', '.csv'). */
  suffix?: string;
  /** Bytes gathered in memory before a write system call. Default 64 KiB. */
  bufferBytes?: number;
}

export function fileSink<T>(options: FileSinkOptions<T>): SinkSpec<T> {
  if (options === null || typeof options !== 'object') throw new ConnectorOptionError('fileSink: expected options { dir, format }');
  const { dir, format, rollBytes, rollRecords, bufferBytes } = options;
  if (typeof dir !== 'string' || dir.length === 0) throw new ConnectorOptionError(`fileSink: dir must be a non-empty path, got ${JSON.stringify(dir)}`);
  if (!format || typeof format.createEncoder !== 'function') throw new ConnectorOptionError('fileSink: expected a format such as jsonLines() or csv({ columns })');
  const names: PartNames = { prefix: options.prefix ?? 'part', suffix: options.suffix ?? format.extension };
  checkPartNames(names);
  // Fails here, while the job is built, when the format cannot write (CSV without columns).
  format.createEncoder();
  return {
    kind: 'file',
    fingerprint: `file(${dir},${format.fingerprint},${JSON.stringify({ rollBytes, rollRecords, bufferBytes, ...names })})`,
    createWriter(subtask): SinkWriter<T> {
      const encoder = format.createEncoder();
      const writer = new RollingFileWriter<T>({
        dir, subtask, encode: (v) => encoder.encode(v), header: encoder.header, prefix: names.prefix, suffix: names.suffix, rollBytes, rollRecords, bufferBytes,
      });
      let transactional = false;
      return {
        write: (v) => writer.write(v),
        prepareCommit(checkpointId) {
          // Called only when the job checkpoints: the main thread commits, so nothing prepared is kept here.
          transactional = true;
          writer.retainPrepared = false;
          return writer.prepareCommit(checkpointId);
        },
        // Checkpointing: the end of input was prepared (-1) and the main thread publishes it with the final
        // checkpoint. Otherwise: publish every part now.
        finish: () => (transactional ? undefined : writer.finish()),
        abort: () => writer.abort(),
      };
    },
    async commit(transactions) {
      await commitFileSinkTransactions(transactions.map((t) => t.transaction));
    },
    async recover(transactions) {
      await recoverFileSink(dir, names, transactions.map((t) => t.transaction));
    },
  };
}
