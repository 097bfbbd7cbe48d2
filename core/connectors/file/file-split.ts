// Runs on: main thread (enumeration on a fresh start) and the worker thread of a file source subtask (restore).
//
// One split per file. Its position is where the next unread record starts, as a byte offset (to seek to) and
// a line number (for error positions), so a restored reader neither skips nor repeats a line.

import { ConnectorOptionError } from '../errors.js';
import { expandInputPaths, type InputPathOptions } from './input-paths.js';
import type { SourceSplit } from '../source.js';

export interface FilePosition {
  /** Byte offset of the next unread record. */
  readonly offset: number;
  /** 1-based line number of the next unread record. */
  readonly line: number;
}

export interface FileSplit extends SourceSplit {
  /** The file's absolute path. */
  readonly id: string;
  position: FilePosition;
}

export const FILE_START: FilePosition = Object.freeze({ offset: 0, line: 1 });

/** A split for every input file, each at its start, in path order. */
export async function enumerateFileSplits(patterns: string | readonly string[], options: InputPathOptions = {}): Promise<FileSplit[]> {
  return (await expandInputPaths(patterns, options)).map((path) => ({ id: path, position: { ...FILE_START } }));
}

/** Checks a split that came back from a checkpoint: a position that is not plain data of the right shape is an error. */
export function checkFileSplit(split: SourceSplit): FileSplit {
  const p = split.position as Partial<FilePosition> | null;
  if (typeof split.id !== 'string' || split.id.length === 0 || p === null || typeof p !== 'object'
    || !Number.isSafeInteger(p.offset) || p.offset! < 0 || !Number.isSafeInteger(p.line) || p.line! < 1) {
    throw new ConnectorOptionError(`not a file split: ${JSON.stringify(split)} (expected { id: path, position: { offset >= 0, line >= 1 } })`);
  }
  return { id: split.id, position: { offset: p.offset!, line: p.line! } };
}
