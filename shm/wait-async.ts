// Runs on: any thread. `Atomics.waitAsync`, typed here: it is in TypeScript's lib from ES2024 on, and a job
// type-checked with an older lib (a user's tsconfig) imports these modules too (`--target es2022` would fail
// on sluice's own source). Node has had it since 16.

/** What `Atomics.waitAsync` returns: a result now, or a promise of one. */
export type WaitAsyncResult =
  | { async: false; value: 'not-equal' | 'timed-out' }
  | { async: true; value: Promise<'ok' | 'timed-out'> };

const waitAsyncFn = (Atomics as unknown as {
  waitAsync(typedArray: Int32Array, index: number, value: number, timeout?: number): WaitAsyncResult;
}).waitAsync;

/** Atomics.waitAsync(typedArray, index, value, timeoutMs). */
export function waitAsync(typedArray: Int32Array, index: number, value: number, timeoutMs?: number): WaitAsyncResult {
  return waitAsyncFn(typedArray, index, value, timeoutMs);
}
