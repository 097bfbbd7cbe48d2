// Runs on: the worker thread of the subtask. A user's function object as one subtask's own. The job module is
// evaluated once per thread, so every subtask of an operator on that thread is handed the same object; what its
// open() keeps on `this` (a state handle, as Flink's open() does) was then the last subtask's, and the others
// read and wrote that subtask's state. Flink gives each parallel instance its own copy of the function; here each
// gets an object whose prototype is the user's: its methods and fields read through, what it assigns is its own.

/**
 * `fn` as this subtask's own (`Object.create(fn)`). A class instance's ES private fields (`#x`) are not reachable
 * through it (a TypeError at their first use): keep such data in keyed state, or in TypeScript `private` fields.
 */
export function ownInstance<F extends object>(fn: F): F {
  return Object.create(fn) as F;
}
