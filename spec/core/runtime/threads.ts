// OS threads of this process now (Linux): worker threads are OS threads, so a leaked worker shows here.
import { readFileSync } from 'node:fs';

export function osThreads(): number {
  return Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
}

/**
 * The thread count once it is at most `before`, or after 2 s: an exited worker's OS thread is joined a moment
 * after the job's result settles (termination is asynchronous), so a check right away can see it still there.
 */
export async function threadsAfter(before: number): Promise<number> {
  const deadline = Date.now() + 2000;
  let n = osThreads();
  while (n > before && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
    n = osThreads();
  }
  return n;
}
