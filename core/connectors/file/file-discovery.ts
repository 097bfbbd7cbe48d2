// Runs on: any thread (fileOwner: the main thread deals splits by it, a reader keeps the files it owns) and the
// worker thread of a file source subtask (the scans).
//
// `fromFiles(patterns, format, { follow, discoverIntervalMs })`: files that appear under the patterns while the job
// runs are read too (Flink's FileSource `monitorContinuously`). No coordinator: a file belongs to one subtask, a
// hash of its device and inode (file-identity.ts: a rename, as log rotation does, keeps its owner), at every
// parallelism; splits are dealt by that owner on a fresh start and on every restore (SourceSpec.ownerOf), and each
// subtask's reader scans the patterns every interval, off the read path, and adds the files it owns and does not
// read yet, from their start (one it reads, found under another name, was renamed). Followed files never end, so
// every file a subtask ever read stays in its snapshot: a file is new exactly when its owner does not hold it,
// across checkpoints, restarts and rescales.

import { hashKey } from '../../graph/key-groups.js';
import type { SourceSplit } from '../source.js';
import { fileKey, matchIdentifiedFiles, type IdentifiedFile } from './file-identity.js';
import { checkFileSplit, splitIdentity } from './file-split.js';

/** The subtask that reads the file whose key (fileKey) is `key`. */
export function fileOwner(key: string, parallelism: number): number {
  return hashKey(key) % parallelism;
}

/** The subtask that reads a split: by its file's identity; one without (a checkpoint from before) by its path. */
export function splitOwner(split: SourceSplit, parallelism: number): number {
  const id = splitIdentity(checkFileSplit(split));
  return fileOwner(id === undefined ? split.id : fileKey(id), parallelism);
}

export interface FileDiscoveryOptions {
  readonly patterns: readonly string[];
  readonly cwd?: string | undefined;
  readonly intervalMs: number;
  /** Whether this subtask reads the file. */
  readonly owns: (file: IdentifiedFile) => boolean;
  /** The files this subtask owns that the patterns match now, in path order, one per file. */
  readonly found: (files: IdentifiedFile[]) => void;
  /** A scan failed (the patterns cannot be read): the reader fails with it. */
  readonly failed: (e: unknown) => void;
}

/** Scans at once, then `intervalMs` after each scan ends (never two at a time), until closed. */
export class FileDiscovery {
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: FileDiscoveryOptions) {
    void this.scan();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private async scan(): Promise<void> {
    const o = this.options;
    try {
      const files = await matchIdentifiedFiles(o.patterns, o.cwd === undefined ? {} : { cwd: o.cwd });
      if (this.closed) return;
      o.found(files.filter(o.owns));
    } catch (e) {
      if (!this.closed) o.failed(e);
      return;
    }
    // Unref'd: a pending scan is no reason to keep a thread alive.
    this.timer = setTimeout(() => void this.scan(), o.intervalMs).unref();
  }
}
