// Runs on: a worker thread (a collect sink's records going to the main thread at its end or on a cancel).
// An array posted in parts sized by how long the last part's post took, not by a fixed count: a cancel's grace
// period waits for a handover only while its parts keep coming (core/runtime/stop-grace.ts), and 65,536 records of
// 100 KB took longer to copy than a grace period, so their thread was terminated mid-post and they were lost.
// Small records still go in parts of up to MAX_PART, as before.

/** The post time a part is sized for. Well inside any useful grace period, and long next to a post's fixed cost. */
export const PART_TARGET_MS = 50;
/**
 * The first part, before any post was timed: small, since one record may take long to copy (4,096 records of 5,000
 * objects each took 15 s, past two grace periods). Growing GROWTH times a part, parts reach MAX_PART in five posts.
 */
export const FIRST_PART = 64;
/** The largest part: the main thread takes one part in while this thread copies the next. */
export const MAX_PART = 65_536;
/** A part grows at most this much from one post to the next (one fast post of small records says little). */
const GROWTH = 4;

/**
 * The parts of `items`, in order, each sized from the time the caller spent on the part before (the time between
 * one yield and the next is the post). An array no longer than FIRST_PART is yielded whole, not copied.
 * `now` is the clock (a spec's own).
 */
export function* timedParts<T>(items: T[], now: () => number = performance.now.bind(performance)): Generator<T[], void, undefined> {
  if (items.length <= FIRST_PART) {
    yield items;
    return;
  }
  let size = FIRST_PART;
  for (let i = 0; i < items.length;) {
    const end = Math.min(items.length, i + size);
    const t0 = now();
    yield items.slice(i, end);
    const ms = now() - t0;
    const n = end - i;
    const fit = ms > 0 ? Math.floor((n * PART_TARGET_MS) / ms) : n * GROWTH;
    size = Math.max(1, Math.min(MAX_PART, n * GROWTH, fit));
    i = end;
  }
}
