// Runs on: main thread (the spec, split enumeration) and the worker thread of each file source subtask (reader).
//
// `env.fromFiles(patterns, format, options)`: records of files (paths, directories, glob patterns) in a line
// format (JSON Lines, CSV). One split per file, dealt to the subtasks; a split's position is the byte offset and
// line of its next unread record, so a restored job reads on exactly there (neither skipping nor repeating a
// line). Bounded by default; `follow` keeps reading files as they grow. Without `discoverIntervalMs` the set of
// files is fixed when the job starts fresh (on a resume, files no longer matched are dropped and files new to the
// patterns are warned about, not read: see file-split.ts restoreFileSplits); with it, each subtask also reads the
// files that appear later, those it owns (file-discovery.ts). Bad records (malformed JSON, a wrong CSV field count,
// invalid UTF-8, a line over `maxLineBytes`) go to the source's error policy.

import { ConnectorOptionError } from '../errors.js';
import type { RecordFormat } from '../formats/record-format.js';
import { SOURCE_END, type SourceSpec, type SourceSplit } from '../source.js';
import { fileOwner, splitOwner } from './file-discovery.js';
import { fileKey } from './file-identity.js';
import { enumerateFileSplits, restoreFileSplits } from './file-split.js';
import { FileSourceReader, type FileSourceOptions } from './file-source-reader.js';
import { checkFileReadOptions } from './file-line-reader.js';
import type { FollowOptions } from './file-growth.js';
import { shownValue } from '../../api/shown-value.js';
import { checkKnownOptions } from '../../api/known-options.js';

export interface FromFilesOptions extends FileSourceOptions {
  /** Base for relative paths and patterns. Default: the working directory. */
  cwd?: string;
  /**
   * With `follow`: every this many milliseconds each subtask looks for files new to the patterns and reads those it
   * owns from their start (a file's owner is a hash of its device and inode). Default: off (the set of files is fixed).
   */
  discoverIntervalMs?: number;
}

const FROM_FILES_KEYS = Object.keys({
  cwd: true, discoverIntervalMs: true, chunkBytes: true, prefetchBytes: true, readAhead: true, follow: true, opener: true, maxLineBytes: true, stripBom: true,
} satisfies Record<keyof FromFilesOptions, true>);
const FOLLOW_KEYS = Object.keys({ watch: true, pollIntervalMs: true, safetyPollMs: true } satisfies Record<keyof FollowOptions, true>);

export function fileSource<T>(patterns: string | readonly string[], format: RecordFormat<T>, options: FromFilesOptions = {}): SourceSpec<T> {
  const list = typeof patterns === 'string' ? [patterns] : [...(patterns ?? [])];
  if (list.length === 0 || list.some((p) => typeof p !== 'string' || p.length === 0)) {
    throw new ConnectorOptionError(`fromFiles: expected a path, directory or glob pattern (or a non-empty array of them), got ${JSON.stringify(patterns)}`);
  }
  if (!format || typeof format.createDecoder !== 'function') throw new ConnectorOptionError('fromFiles: expected a format such as jsonLines() or csv({ header: true })');
  if (options === null || typeof options !== 'object') throw new ConnectorOptionError(`fromFiles: options must be an object, got ${shownValue(options)}`);
  checkKnownOptions(options, FROM_FILES_KEYS, 'fromFiles', (m) => new ConnectorOptionError(m));
  if (typeof options.follow === 'object' && options.follow !== null) checkKnownOptions(options.follow, FOLLOW_KEYS, 'fromFiles: follow', (m) => new ConnectorOptionError(m));
  const { cwd, discoverIntervalMs, ...readerOptions } = options;
  const follow = readerOptions.follow;
  if (discoverIntervalMs !== undefined) {
    if (!follow) throw new ConnectorOptionError('fromFiles: discoverIntervalMs needs follow (files are discovered while the source follows them; a bounded source reads the files there are when it starts)');
    if (typeof discoverIntervalMs !== 'number' || !(discoverIntervalMs > 0) || !Number.isFinite(discoverIntervalMs)) throw new ConnectorOptionError(`fromFiles: discoverIntervalMs must be a positive number of milliseconds, got ${shownValue(discoverIntervalMs)}`);
  }
  checkFileReadOptions(readerOptions, 'fromFiles: ');
  const discover = discoverIntervalMs !== undefined;
  const paths = cwd === undefined ? {} : { cwd };
  return {
    kind: 'file',
    fingerprint: `file(${JSON.stringify(list)},cwd=${cwd ?? ''},${format.fingerprint},${JSON.stringify(readerOptions)}${discover ? `,discover=${discoverIntervalMs}` : ''})`,
    maxParallelism: Number.MAX_SAFE_INTEGER,
    bounded: !follow,
    rewindable: true,
    enumerateSplits: () => enumerateFileSplits(list, { ...paths, discover }),
    // Files no longer matched are dropped; files the restored splits lack are warned about, not read, unless
    // discovering: then they are new, read from their start (file-split.ts).
    restoreSplits: (restored) => restoreFileSplits(list, { ...paths, follow: Boolean(follow), discover }, restored),
    // Discovering: a file's subtask is a function of the file, so its owner alone adds it when it appears.
    ...(discover ? { ownerOf: (split: SourceSplit, parallelism: number) => splitOwner(split, parallelism) } : {}),
    createReader(subtask, parallelism, splits, context) {
      if (discover) return new FileSourceReader<T>(splits, format, readerOptions, { patterns: list, cwd, intervalMs: discoverIntervalMs, owns: (f) => fileOwner(fileKey(f), parallelism) === subtask }, context?.warn);
      // More subtasks than files: the extra ones have nothing to read.
      if (splits.length === 0) return { read: () => SOURCE_END, ready: () => Promise.resolve(), snapshot: () => [] };
      return new FileSourceReader<T>(splits, format, readerOptions, undefined, context?.warn, { patterns: list, cwd });
    },
  };
}
