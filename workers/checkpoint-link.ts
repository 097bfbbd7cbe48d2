// Runs on: a worker thread. The thread's end of its MessagePort to the checkpoint coordinator (main thread):
// acks and final states go up; completions and aborts come down and are handed to the subtasks.

import type { MessagePort } from 'node:worker_threads';
import type { CoordinatorMessage, SubtaskSnapshot, WorkerMessage } from '../core/checkpoint/messages.js';
import type { CheckpointSink } from './subtask.js';

/**
 * The buffers to move with a snapshot: a chunk's bytes that fill a buffer of their own (what ChunkEncoder.encode
 * returns) move as they are; a view into a bigger buffer is copied first, so only its bytes cross and nothing
 * the thread still uses is detached.
 */
function transferables(snapshot: SubtaskSnapshot): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  const moved = new Set<ArrayBufferLike>();
  for (const o of snapshot.operators) {
    const keyed = o.snapshot.keyed;
    if (keyed === undefined) continue;
    o.snapshot.keyed = keyed.map((c) => {
      const b = c.bytes;
      const own = b.buffer instanceof ArrayBuffer && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && !moved.has(b.buffer);
      const bytes = own ? b : new Uint8Array(b);
      moved.add(bytes.buffer);
      out.push(bytes.buffer as ArrayBuffer);
      return own ? c : { ...c, bytes };
    });
  }
  return out;
}

export class CheckpointLink implements CheckpointSink {
  constructor(private readonly port: MessagePort, private readonly onMessage: (m: CoordinatorMessage) => void) {
    port.on('message', onMessage);
    // The port must not keep the worker alive by itself, nor stop it from exiting when its work is done.
    port.unref();
  }

  private send(m: WorkerMessage, transfer: ArrayBuffer[] = []): void {
    this.port.postMessage(m, transfer);
  }

  ack(checkpointId: number, snapshot: SubtaskSnapshot, syncMs: number, unaligned = false): void {
    this.send({ type: 'ack', checkpointId, snapshot, syncMs, unaligned }, transferables(snapshot));
  }

  abandoned(checkpointId: number, snapshot: SubtaskSnapshot): void {
    this.send({ type: 'abandoned', checkpointId, snapshot }, transferables(snapshot));
  }

  decline(checkpointId: number, task: number, subtask: number, reason: string): void {
    this.send({ type: 'decline', checkpointId, task, subtask, reason });
  }

  /** Before any ack of this thread (one port, in order). */
  running(thread: number): void {
    this.send({ type: 'running', thread });
  }

  finished(snapshot: SubtaskSnapshot): void {
    this.send({ type: 'finished', snapshot }, transferables(snapshot));
  }

  /** Stops taking the coordinator's messages. Not the port's close: sink results and live records share it, and
   * the main thread closes it once the attempt is over (a close here would cut off whatever is posted after). */
  close(): void {
    this.port.off('message', this.onMessage);
  }
}
