// Runs on: main thread. Which worker threads are stuck in one call (user code that does not return): each task
// loop stores its turn count in the job's control buffer (shm/layout.ts jobLoopTurns) and marks when it has ended;
// a thread parked on its doorbell is waiting, not stuck. A thread whose count stood still while it was neither
// parked nor ended has been in one call since its count last moved.

import { DOORBELL_WAITING, jobDoorbell, jobLoopTurns, LOOP_ENDED } from '../../shm/layout.js';
import type { PhysicalPlan } from '../graph/physical-plan.js';

/** What runs on thread `t`, for messages naming a stuck or slow thread: `task (subtask i), ...`. */
export function tasksOnThread(plan: PhysicalPlan, t: number): string {
  return plan.placements.filter((p) => p.thread === t).map((p) => `${plan.tasks[p.task]?.name ?? p.task} (subtask ${p.subtask})`).join(', ');
}

export class LoopWatch {
  /** Per thread: its count when last seen moving (or parked, or ended), and when (performance.now()). */
  private readonly loops: { turns: number; at: number }[];

  constructor(private readonly control: Int32Array, private readonly threads: number) {
    const now = performance.now();
    this.loops = Array.from({ length: threads }, () => ({ turns: -1, at: now }));
  }

  /** Call often (the coordinator does every 50 ms): a thread that moved between two samples is not stuck. */
  sample(now = performance.now()): void {
    for (let t = 0; t < this.threads; t++) {
      const at = jobLoopTurns(this.threads, t);
      const turns = Atomics.load(this.control, at);
      const waiting = Atomics.load(this.control, jobDoorbell(t) + DOORBELL_WAITING) !== 0
        || Atomics.load(this.control, at + LOOP_ENDED) !== 0;
      const l = this.loops[t]!;
      if (turns !== l.turns || waiting) { l.turns = turns; l.at = now; }
    }
  }

  /** Threads in one call for `ms` or more (sampled now), with how long. */
  stuck(ms: number): { thread: number; inCallMs: number }[] {
    const now = performance.now();
    this.sample(now);
    const out: { thread: number; inCallMs: number }[] = [];
    for (let t = 0; t < this.threads; t++) {
      const inCallMs = now - this.loops[t]!.at;
      if (inCallMs >= ms) out.push({ thread: t, inCallMs });
    }
    return out;
  }
}
