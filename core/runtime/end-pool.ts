// Runs on: main thread. Ends a piscina pool of worker threads for good.
//
// piscina keeps `minThreads` workers: a worker that dies of an uncaught error (a user timer's throw, an unhandled
// rejection) is dropped at its 'error' event, and when its 'exit' event comes, piscina starts new workers to make
// up the number. destroy() waits only for the workers the pool holds when it is called, so a dead worker's 'exit'
// that came after it returned started `minThreads` idle (unref'd) threads that nothing would end: 2 threads and 8
// file descriptors left for good by every failed run of a parallelism-2 job in a long-lived process. With no
// minimum, nothing is started again (the workaround angular-cli uses too).

/** What ending needs of a pool (a Piscina instance). */
export interface EndablePool {
  readonly options: { minThreads: number };
  destroy(): Promise<void>;
}

export function endPool(pool: EndablePool): Promise<void> {
  pool.options.minThreads = 0;
  return pool.destroy();
}
