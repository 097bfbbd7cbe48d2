// Runs on: main thread (the spec, split enumeration) and the worker thread of each file source subtask (reader).
//
// `env.fromFiles(patterns, format, options)`: records of files (paths, directories, glob patterns) in a line
// format (JSON Lines, CSV). One split per file, dealt to the subtasks; a split's position is the byte offset and
// line of its next unread record, so a restored job reads on exactly there (neither skipping nor repeating a
// line). Bounded by default; `follow` keeps reading files as they grow (the set of files is fixed when the job
// starts fresh; on a resume, files no longer matched are dropped and files new to the patterns are warned about,
// not read: see file-split.ts restoreFileSplits). Bad records (malformed JSON, a wrong CSV field count, invalid UTF-8, a line over `maxLineBytes`)
// go to the source's error policy.

import { ConnectorOptionError } from '../errors.js';
import type { RecordFormat } from '../formats/record-format.js';
import { SOURCE_END, type SourceSpec } from '../source.js';
import { enumerateFileSplits, restoreFileSplits } from './file-split.js';
import { FileSourceReader, type FileSourceOptions } from './file-source-reader.js';

export interface FromFilesOptions extends FileSourceOptions {
  /** Base for relative paths and patterns. Default: the working directory. */
  cwd?: string;
}

export function fileSource<T>(patterns: string | readonly string[], format: RecordFormat<T>, options: FromFilesOptions = {}): SourceSpec<T> {
  const list = typeof patterns === 'string' ? [patterns] : [...(patterns ?? [])];
  if (list.length === 0 || list.some((p) => typeof p !== 'string' || p.length === 0)) {
    throw new ConnectorOptionError(`fromFiles: expected a path, directory or glob pattern (or a non-empty array of them), got ${JSON.stringify(patterns)}`);
  }
  if (!format || typeof format.createDecoder !== 'function') throw new ConnectorOptionError('fromFiles: expected a format such as jsonLines() or csv({ header: true })');
  const { cwd, ...readerOptions } = options;
  const follow = readerOptions.follow;
  return {
    kind: 'file',
    fingerprint: `file(${JSON.stringify(list)},cwd=${cwd ?? ''},${format.fingerprint},${JSON.stringify(readerOptions)})`,
    maxParallelism: Number.MAX_SAFE_INTEGER,
    bounded: !follow,
    rewindable: true,
    enumerateSplits: () => enumerateFileSplits(list, cwd === undefined ? {} : { cwd }),
    // Files no longer matched are dropped; files the restored splits lack are warned about, not read (file-split.ts).
    restoreSplits: (restored) => restoreFileSplits(list, { ...(cwd === undefined ? {} : { cwd }), follow: Boolean(follow) }, restored),
    createReader(_subtask, _parallelism, splits) {
      // More subtasks than files: the extra ones have nothing to read.
      if (splits.length === 0) return { read: () => SOURCE_END, ready: () => Promise.resolve(), snapshot: () => [] };
      return new FileSourceReader<T>(splits, format, readerOptions);
    },
  };
}
