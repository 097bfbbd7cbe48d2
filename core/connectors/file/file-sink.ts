// Runs on: main thread (the spec; commits and recovery) and the worker thread of each file sink subtask (writer).
//
// `fileSink({ dir, format })`: records as lines (JSON Lines, CSV) in rolling part files. With checkpoints the
// output is exactly-once by two-phase commit: each writer keeps its part open across barriers (the checkpoint's
// transaction records its durable length) until it rolls (size, records, rollIntervalMs; the end of input, a
// savepoint), and hands the parts closed since the last barrier over, durable under hidden pending names; the
// main thread renames them to their final names once the checkpoint is complete. On restore it publishes the
// restored checkpoint's parts (an open one cut to its recorded length) and deletes what the failed attempt wrote
// after it. Without checkpoints, parts are published when the job ends. After each commit and restore the sink
// records the parts it fully published (committed-parts.ts): a part a consumer took away since is skipped by a
// later commit that names it again; one whose files went before its publish still fails it (FileCommitError).
// Readers of the directory (a file source too) skip the hidden in-progress and pending files.

import path from 'node:path';
import { ConnectorOptionError } from '../errors.js';
import type { SinkFormat } from '../formats/record-format.js';
import type { SinkSpec, SinkWriter } from '../sink.js';
import { checkPartNames, isFileSinkTransaction } from './part-files.js';
import { checkKnownOptions } from '../../api/known-options.js';
import { RollingFileWriter, checkRollOptions, commitFileSinkTransactions, recoverFileSink, type PartNames } from './rolling-file-writer.js';

export interface FileSinkOptions<T> {
  /** Output directory (created if missing). Each sink needs a directory (or prefix) of its own, as recovery clears it: a job with two sharing both is refused. */
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
  /**
   * Roll a part once it has been open this long. Default 60_000 (Flink's rollover interval). Parts stay open across
   * checkpoints and are published when the checkpoint after their roll completes, so output becomes visible up to
   * rollIntervalMs + the checkpoint interval late. 0: roll at every checkpoint (a part file per checkpoint and
   * subtask, each visible once its checkpoint completes).
   */
  rollIntervalMs?: number;
}

const FILE_SINK_KEYS = Object.keys({
  dir: true, format: true, rollBytes: true, rollRecords: true, prefix: true, suffix: true, bufferBytes: true, rollIntervalMs: true,
} satisfies Record<keyof FileSinkOptions<unknown>, true>);

export function fileSink<T>(options: FileSinkOptions<T>): SinkSpec<T> {
  if (options === null || typeof options !== 'object') throw new ConnectorOptionError('fileSink: expected options { dir, format }');
  checkKnownOptions(options, FILE_SINK_KEYS, 'fileSink', (m) => new ConnectorOptionError(m));
  const { dir, format, rollBytes, rollRecords, bufferBytes, rollIntervalMs } = options;
  if (typeof dir !== 'string' || dir.length === 0) throw new ConnectorOptionError(`fileSink: dir must be a non-empty path, got ${JSON.stringify(dir)}`);
  if (!format || typeof format.createEncoder !== 'function') throw new ConnectorOptionError('fileSink: expected a format such as jsonLines() or csv({ columns })');
  const names: PartNames = { prefix: options.prefix ?? 'part', suffix: options.suffix ?? format.extension };
  checkPartNames(names);
  checkRollOptions(options, 'fileSink');
  // Fails here, while the job is built, when the format cannot write (CSV without columns).
  format.createEncoder();
  return {
    kind: 'file',
    fingerprint: `file(${dir},${format.fingerprint},${JSON.stringify({ rollBytes, rollRecords, bufferBytes, rollIntervalMs, ...names })})`,
    createWriter(subtask): SinkWriter<T> {
      const encoder = format.createEncoder();
      const writer = new RollingFileWriter<T>({
        dir, subtask, encode: (v) => encoder.encode(v), header: encoder.header, prefix: names.prefix, suffix: names.suffix, rollBytes, rollRecords, bufferBytes, rollIntervalMs,
      });
      let transactional = false;
      return {
        write: (v) => writer.write(v),
        prepareCommit(checkpointId, savepoint) {
          // Called only when the job checkpoints: the main thread commits, so nothing prepared is kept here.
          transactional = true;
          writer.retainPrepared = false;
          return writer.prepareCommit(checkpointId, savepoint);
        },
        // Checkpointing: the end of input was prepared (-1) and the main thread publishes it with the final
        // checkpoint. Otherwise: publish every part now.
        finish: () => (transactional ? undefined : writer.finish()),
        abort: () => writer.abort(),
      };
    },
    async commit(transactions, context) {
      await commitFileSinkTransactions(transactions.map((t) => t.transaction), context === undefined ? undefined : { names, context });
    },
    ...(rollIntervalMs === 0 ? {} : {
      cancelNote: 'what it wrote since its parts last rolled stays in hidden part files (up to rollIntervalMs of output): a resume from the last checkpoint publishes it; a stop with a savepoint publishes everything',
    }),
    owns: `the part files '${names.prefix}-*${names.suffix}' in ${path.resolve(dir)}`,
    // A transaction that only records how far its open part had got publishes nothing.
    publishes: (t) => !isFileSinkTransaction(t) || t.parts.length > 0,
    async recover(transactions, context) {
      await recoverFileSink(dir, names, transactions.map((t) => t.transaction), context);
    },
  };
}
