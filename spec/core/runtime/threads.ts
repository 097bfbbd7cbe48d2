// OS threads of this process now (Linux): worker threads are OS threads, so a leaked worker shows here.
import { readFileSync } from 'node:fs';

export function osThreads(): number {
  return Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
}
