import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatorSource, readerRate, SplitRandom, strideSplits, GeneratorReader, GENERATOR_CATCH_UP_SEC } from '../../../core/connectors/generator.js';
import { JobDefinitionError } from '../../../core/api/errors.js';
import { SOURCE_END, SOURCE_MORE, SOURCE_WAIT } from '../../../core/connectors/source.js';

function readAll(splits: ReturnType<typeof strideSplits>, count: number, max: number): number[] {
  const reader = generatorSource({ count }, (i) => i).createReader(0, 1, splits);
  const out: number[] = [];
  while (reader.read((v) => out.push(v), max, () => {}) !== SOURCE_END);
  return out;
}

test('a subtask holding several splits (restored at lower parallelism) emits them merged in index order', () => {
  // Regression: reading one split a budget at a time ran its event time ahead of the other split's and made the
  // other's records late (window results lost after a rescale 2 -> 1).
  const resumed = strideSplits(3).map((s, k) => ({ ...s, position: { ...(s.position as object), next: (s.position as { start: number }).start + 3 * k } }));
  const out = readAll(resumed, 100, 7);
  // Split k (k = 0, 1, 2: i = k, k + 3, ...) resumes at 4k.
  const expected = Array.from({ length: 100 }, (_, i) => i).filter((i) => i >= 4 * (i % 3));
  assert.deepEqual(out, [...out].sort((a, b) => a - b), 'index order');
  assert.deepEqual(out, expected, 'each split from its own position, every record once');
});

test('one split reads its stride', () => {
  assert.deepEqual(readAll([strideSplits(2)[1]!], 10, 3), [1, 3, 5, 7, 9]);
});

test('a rate-limited reader tells when its next record is due, from its schedule', () => {
  const t0 = performance.now();
  const reader = generatorSource({ count: 100, ratePerSec: 1000 }, (i) => i).createReader(0, 1, strideSplits(1));
  const t1 = performance.now();
  const out: number[] = [];
  let status;
  while ((status = reader.read((v) => out.push(v), 100, () => {})) !== SOURCE_WAIT) assert.equal(status, SOURCE_MORE);
  // Record k is due (k + 1) ms after the schedule started (between t0 and t1), at 1000 records/s.
  const at = reader.readyAt!();
  const k = out.length;
  assert.ok(at >= t0 + (k + 1) && at <= t1 + (k + 1), `record ${k} due at ${at - t0} ms after the reader was made`);
  // Once that time has come, the next read finds it.
  while (performance.now() < at);
  assert.equal(reader.read((v) => out.push(v), 100, () => {}), SOURCE_MORE);
  assert.deepEqual(out.slice(0, k + 1), Array.from({ length: k + 1 }, (_, i) => i));
});

// Regression: tokens counted from the start, so a reader held back by a slow reader for seconds
// released all those seconds' records at once when the hold ended.
test('a rate-limited reader held back catches up at most GENERATOR_CATCH_UP_SEC of its rate, then keeps its rate', () => {
  let now = 0;
  const reader = new GeneratorReader((i) => i, 1, Infinity, strideSplits(1), 1000, () => now);
  const read = (): number => { let n = 0; reader.read(() => { n++; }, 1_000_000); return n; };
  now = 10;
  assert.equal(read(), 10, 'on schedule: 10 ms at 1,000/s');
  now = 50_010; // held for 50 s
  assert.equal(read(), 1000 * GENERATOR_CATCH_UP_SEC, 'one catch-up, not 50 s of records');
  assert.equal(read(), 0);
  now += 20;
  assert.equal(read(), 20, 'then its rate again');
  now += 300; // a short stall is made up in full
  assert.equal(read(), 300);
});

// Regression: SplitRandom mixed only a seed's low 32 bits, so seeds s and s + 2^32 gave
// one stream, and a fractional seed was truncated without a word.
test('seeds that differ beyond 32 bits give different streams; seeds from -2^31 to 2^32 keep theirs; a fractional seed is refused', () => {
  const draws = (seed: number): number[] => {
    const r = new SplitRandom();
    return Array.from({ length: 8 }, (_, i) => r.reset(seed, i).next());
  };
  assert.notDeepEqual(draws(7), draws(7 + 2 ** 32));
  assert.notDeepEqual(draws(-(2 ** 31) - 5), draws(2 ** 31 - 5));
  // Seeds from -2^31 to 2^32 keep their streams (a job restored across the change regenerates the same records).
  assert.equal(new SplitRandom().reset(-1, 3).next(), 0.7434918051585555);
  // Pinned values of seed 1, index 0 and 2^40 (the streams before the fix: the Nexmark checksums in benchmarks/RESULTS.md stand).
  const r = new SplitRandom();
  assert.equal(r.reset(1, 0).next(), 0.45012989663518965);
  assert.equal(r.reset(1, 2 ** 40).next(), 0.8075905446894467);
  assert.throws(() => generatorSource({ seed: 1.5 }, (i) => i), (e: unknown) => e instanceof JobDefinitionError && e.message === 'generator: seed must be an integer, got 1.5');
});

// Regression: after a rescale from parallelism 1 to 2 the one split went to one reader,
// paced at rate / 2: the job ran at half its ratePerSec.
test('a reader is paced at its splits\' share of ratePerSec, whatever the parallelism they were made at', () => {
  assert.equal(readerRate(undefined, strideSplits(2)), undefined);
  assert.equal(readerRate(1000, strideSplits(2).slice(0, 1)), 500, 'one of two splits');
  assert.equal(readerRate(1000, strideSplits(1)), 1000, 'rescaled up: the one split of parallelism 1, on one reader');
  assert.equal(readerRate(1000, strideSplits(2)), 1000, 'rescaled down: both splits of parallelism 2');
  assert.equal(readerRate(1200, strideSplits(3).slice(1)), 800);
  assert.equal(readerRate(1000, []), undefined, 'no split: nothing to pace');
});

// Held records handed back to their splits (SourceReader.unread): the positions before the last `count` records of
// the last read, so a reader from there reads exactly those again, first, in the same order; merged with another
// split (a scale-in), where they belong by index.
test('unread: the positions before the tail of the last read, whether the reader has one split or merges several from skewed positions', () => {
  const fn = (i: number): number => i;
  const readFrom = (splits: ReturnType<typeof strideSplits>, max: number): { got: number[]; reader: GeneratorReader<number> } => {
    const reader = new GeneratorReader(fn, 0, 200, splits, undefined);
    const got: number[] = [];
    reader.read((v) => got.push(v), max);
    return { got, reader };
  };
  const at = (s: ReturnType<typeof strideSplits>[number], next: number) => ({ ...s, position: { ...(s.position as object), next } });
  // One split: split 1/2 from 41, a read of 6 (41 ... 51), the last 4 held.
  const one = readFrom([at(strideSplits(2)[1]!, 41)], 6);
  assert.deepEqual(one.got, [41, 43, 45, 47, 49, 51]);
  const back = one.reader.unread(4)!;
  assert.deepEqual(back.map((s) => (s.position as { next: number }).next), [45]);
  assert.deepEqual(readFrom(back, 4).got, [45, 47, 49, 51], 'read again: the held ones, in order');
  assert.deepEqual(one.reader.unread(0)!.map((s) => (s.position as { next: number }).next), [53], 'none held: where it is');
  assert.equal(one.reader.unread(7), undefined, 'more than the last read emitted: it cannot say');
  // Two splits from skewed positions (1/2 far behind 0/2): the merge reads 1/2 alone first. Undone from the positions
  // now (the largest index back first), 0/2's 98 would be taken back, which this read never emitted.
  const skewed = [at(strideSplits(2)[0]!, 100), at(strideSplits(2)[1]!, 41)];
  const two = readFrom(skewed, 6);
  assert.deepEqual(two.got, [41, 43, 45, 47, 49, 51]);
  const back2 = two.reader.unread(4)!;
  assert.deepEqual(back2.map((s) => (s.position as { next: number }).next), [100, 45]);
  assert.deepEqual(readFrom(back2, 4).got, [45, 47, 49, 51]);
  // And across where they meet: 41 ... 99, then 100, 101, 102, 103 in turn.
  const three = readFrom(skewed, 34);
  assert.deepEqual(three.reader.unread(5)!.map((s) => (s.position as { next: number }).next), [100, 99]);
  // A read that emitted nothing (at its end) leaves nothing to take back.
  const done = new GeneratorReader(fn, 0, 10, [at(strideSplits(1)[0]!, 10)], undefined);
  assert.equal(done.read(() => {}, 5), SOURCE_END);
  assert.equal(done.unread(1), undefined);
});

test('unread, then scaled in: a reader of both splits reads the held records of each where they belong among the other\'s, in index order', () => {
  const fn = (i: number): number => i;
  // At parallelism 2: subtask 0 had read 0 ... 58 (the last 5 held), subtask 1 had run ahead, 1 ... 79 (the last 8 held).
  const old = strideSplits(2).map((s, k) => {
    const r = new GeneratorReader(fn, 0, 120, [s], undefined);
    r.read(() => {}, k === 0 ? 30 : 40);
    return r.unread(k === 0 ? 5 : 8)!;
  });
  const merged = new GeneratorReader(fn, 0, 120, old.flat(), undefined);
  const got: number[] = [];
  while (merged.read((v) => got.push(v), 16) !== SOURCE_END);
  // Held: 50 ... 58 and 65 ... 79; 0/2 from 50, 1/2 from 65: every record from there once, in index order.
  assert.deepEqual(got, Array.from({ length: 120 }, (_, i) => i).filter((i) => i >= (i % 2 === 0 ? 50 : 65)));
});

// Regression: fromGenerator({ count: 10, ratePerSecond: 1 }) ignored the rate and ran as fast as it could.
test('generator refuses a misspelt option, naming the nearest one', () => {
  assert.throws(() => generatorSource({ count: 10, ratePerSecond: 1 } as never, (i) => i), (e: unknown) =>
    e instanceof JobDefinitionError && e.message === "generator: unknown option 'ratePerSecond' (did you mean 'ratePerSec'?); known: count, seed, ratePerSec");
  assert.throws(() => generatorSource(null as never, (i) => i), /^JobDefinitionError: generator: options must be an object, got null$/);
  assert.equal(generatorSource({ count: 10, ratePerSec: undefined }, (i) => i).bounded, true);
});
