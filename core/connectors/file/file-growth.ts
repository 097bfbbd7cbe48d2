// Runs on: the worker thread of a file source subtask in follow mode.
//
// Notices that a followed file changed size after the reader reached its end, or was deleted (its last name removed:
// nothing can write to it by name any more). fs.watch (inotify on Linux, which reports the link count's change too)
// wakes the reader as soon as a write lands; where watching is off or fails (no inotify instances left, a file
// system without events), a timer polls instead. Either way the file is checked through the open file handle, so
// what counts is the file being read, not whatever the path names now.

import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { ConnectorOptionError } from '../errors.js';
import { shownValue } from '../../api/shown-value.js';
import { isNumber } from '../../api/number-option.js';

export interface FollowOptions {
  /** Use fs.watch to notice appends; false polls only. Default true. */
  watch?: boolean;
  /** Polling interval when not watching or when fs.watch is unavailable, ms. Default 250. */
  pollIntervalMs?: number;
  /** With watching on, a slow poll as well, for file systems whose events can be missed (network mounts), ms. Default 2000. */
  safetyPollMs?: number;
}

/** What a check finds of the file being read (through its handle). */
export interface FileState {
  readonly size: number;
  /** False once the file has no name left (deleted; a handle still reads it). */
  readonly linked: boolean;
  /** The file's identity (device, inode), when the caller knows it: a watch made by path is checked against it. */
  readonly id?: { readonly dev: number; readonly ino: number };
}

interface Waiter {
  readonly known: number;
  readonly resolve: (state: FileState) => void;
  readonly reject: (e: unknown) => void;
}

/** `what`: a prefix for the message ('fromFiles: ' while the job is built). */
export function checkFollowOptions(o: FollowOptions, what = ''): void {
  const pollMs = o.pollIntervalMs ?? 250;
  const safetyMs = o.safetyPollMs ?? 2000;
  if (!(isNumber(pollMs) && pollMs > 0) || !(isNumber(safetyMs) && safetyMs > 0)) throw new ConnectorOptionError(`${what}follow: pollIntervalMs and safetyPollMs must be > 0, got ${shownValue(pollMs)} and ${shownValue(safetyMs)}`);
}

export class FileGrowth {
  private readonly useWatch: boolean;
  private readonly pollMs: number;
  private readonly safetyMs: number;
  private watcher: FSWatcher | undefined;
  private watchFailed = false;
  /** The watch just made has not been checked to be on the file read (a path names whatever is there now). */
  private watchUnchecked = false;
  private timer: NodeJS.Timeout | undefined;
  private waiter: Waiter | undefined;
  private checking = false;
  private recheck = false;
  /** The pending wait resolves at its next check whatever it finds (settle). */
  private settling = false;
  private closed = false;

  constructor(private path: string, private readonly state: () => Promise<FileState>, options: FollowOptions = {}) {
    this.useWatch = options.watch ?? true;
    this.pollMs = options.pollIntervalMs ?? 250;
    this.safetyMs = options.safetyPollMs ?? 2000;
    checkFollowOptions(options);
  }

  /** Whether changes are noticed through fs.watch right now (false: polling). */
  get watching(): boolean {
    return this.watcher !== undefined;
  }

  /**
   * Resolves with the file's state once its size differs from `known` (grew, or shrank: the caller decides what that
   * means) or it is no longer linked (deleted).
   */
  changedFrom(known: number): Promise<FileState> {
    if (this.closed) return Promise.reject(new Error(`follow of ${this.path} is closed`));
    if (this.waiter !== undefined) throw new Error('FileGrowth: one wait at a time');
    return new Promise<FileState>((resolve, reject) => {
      this.waiter = { known, resolve, reject };
      this.startWatch();
      this.startTimer();
      // An append that landed after the reader saw the end but before the watcher existed raises no event.
      this.check();
    });
  }

  /** The file was renamed: a watch made from now on names it by `path` (one made before follows the file itself). */
  rename(path: string): void {
    this.path = path;
  }

  /** Resolves the pending wait (if any) with the file's state now, changed or not. */
  settle(): void {
    if (this.waiter === undefined) return;
    this.settling = true;
    this.check();
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
    this.watcher = undefined;
    this.stopTimer();
    this.waiter = undefined;
  }

  private startWatch(): void {
    if (!this.useWatch || this.watchFailed || this.watcher !== undefined) return;
    try {
      this.watcher = watch(this.path, { persistent: true }, () => this.check());
      this.watcher.on('error', () => this.fallBackToPolling());
      this.watchUnchecked = true;
    } catch {
      this.fallBackToPolling();
    }
  }

  /**
   * A watch is made by path, which may name another file than the one read by then (rotated away before the reader's
   * first wait: app.log renamed, a new app.log made): inotify watches the new one, and appends to the file read were
   * noticed only by the safety poll, seconds late. Then this reader polls. A stat after the watch was made that finds
   * the file read at the path shows the watch is on it (inotify follows the inode, wherever it is renamed after).
   */
  private checkWatchedFile(id: { dev: number; ino: number }): void {
    this.watchUnchecked = false;
    const watcher = this.watcher;
    stat(this.path).then((s) => s.dev === id.dev && s.ino === id.ino, () => false).then((same) => {
      if (!same && this.watcher === watcher && watcher !== undefined) this.fallBackToPolling();
    }, () => undefined);
  }

  private fallBackToPolling(): void {
    this.watchFailed = true;
    this.watcher?.close();
    this.watcher = undefined;
    if (this.timer !== undefined) { this.stopTimer(); this.startTimer(); }
  }

  private startTimer(): void {
    if (this.timer !== undefined) return;
    // Ref'd while a wait is pending: a reader waiting for growth must keep its thread alive.
    this.timer = setInterval(() => this.check(), this.watcher !== undefined ? this.safetyMs : this.pollMs);
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    if (this.waiter === undefined) return;
    // A change event during a stat must not be lost: remember it and stat again.
    if (this.checking) { this.recheck = true; return; }
    this.checking = true;
    this.recheck = false;
    this.state().then((state) => {
      this.checking = false;
      if (this.watchUnchecked && state.id !== undefined) this.checkWatchedFile(state.id);
      const w = this.waiter;
      if (w === undefined) return;
      if (state.size !== w.known || !state.linked || this.settling) {
        this.settling = false;
        this.waiter = undefined;
        this.stopTimer();
        w.resolve(state);
      } else if (this.recheck) {
        this.recheck = false;
        this.check();
      }
    }, (e: unknown) => {
      this.checking = false;
      const w = this.waiter;
      this.waiter = undefined;
      this.stopTimer();
      w?.reject(e);
    });
  }
}
