// Runs on: a worker thread. The thread's end of its MessagePort to the checkpoint coordinator (main thread):
// acks and final states go up; completions and aborts come down and are handed to the subtasks.

import type { MessagePort } from 'node:worker_threads';
import type { CoordinatorMessage, SubtaskSnapshot, WorkerMessage } from '../core/checkpoint/messages.js';
import type { CheckpointSink } from './subtask.js';

/** Chunk bytes may be views into a shared encoder arena: copy each into its own buffer, which is then moved. */
function transferables(snapshot: SubtaskSnapshot): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const o of snapshot.operators) {
    const keyed = o.snapshot.keyed;
    if (keyed === undefined) continue;
    o.snapshot.keyed = keyed.map((c) => {
      const bytes = new Uint8Array(c.bytes);
      out.push(bytes.buffer);
      return { ...c, bytes };
    });
  }
  return out;
}

export class CheckpointLink implements CheckpointSink {
  constructor(private readonly port: MessagePort, onMessage: (m: CoordinatorMessage) => void) {
    port.on('message', onMessage);
    // The port must not keep the worker alive by itself, nor stop it from exiting when its work is done.
    port.unref();
  }

  private send(m: WorkerMessage, transfer: ArrayBuffer[] = []): void {
    this.port.postMessage(m, transfer);
  }

  ack(checkpointId: number, snapshot: SubtaskSnapshot, syncMs: number): void {
    this.send({ type: 'ack', checkpointId, snapshot, syncMs }, transferables(snapshot));
  }

  decline(checkpointId: number, task: number, subtask: number, reason: string): void {
    this.send({ type: 'decline', checkpointId, task, subtask, reason });
  }

  finished(snapshot: SubtaskSnapshot): void {
    this.send({ type: 'finished', snapshot }, transferables(snapshot));
  }

  close(): void {
    this.port.removeAllListeners('message');
    this.port.close();
  }
}
