// Runs on: any thread (types only).
//
// A copy of the checkpoint-ready source/sink contracts planned for source.ts and sink.ts (issue 5), so the
// connector building blocks can be type-checked against them before they land. Once source.ts and sink.ts export
// these, import them from there and delete this file: the shapes are meant to be identical.

import type { SourceStatus } from './source.js';

export interface SourceSplit {
  readonly id: string;
  /** Plain data (msgpack/JSON-able): where to resume. */
  position: unknown;
}

export interface BadRecord {
  raw: string | Uint8Array;
  error: Error;
  /** Human-readable: file:line, stream/id, host:port:line. */
  position: string;
}

export interface SplitSourceReader<T> {
  /** Never blocks: MORE | WAIT | END. Bad input goes to `invalid`, never to `emit`. */
  read(emit: (v: T) => void, max: number, invalid: (bad: BadRecord) => void): SourceStatus;
  /** After WAIT: resolves when `read` may find something. */
  ready(): Promise<void>;
  /** Sync, between reads: positions after the last emitted (or reported) record. */
  snapshot(): SourceSplit[];
  notifyCheckpointComplete?(checkpointId: number): void | Promise<void>;
  close?(): void | Promise<void>;
}

export interface TransactionalSinkWriter<T> {
  write(v: T): void;
  /** Sync, at a barrier: make writes durable as pending; returns a transaction (plain data) for the checkpoint. */
  prepareCommit?(checkpointId: number): unknown;
  /** Checkpoint complete, or on restore: publish. Idempotent. */
  commit?(transactions: unknown[]): Promise<void>;
  finish(): unknown;
}
