// The fluent API at build time: what a stream after keyBy, rebalance or broadcast, or a side output, lets a job
// configure. Such a stream is a view of its operator's output, not an operator.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamEnvironment } from '../../../core/api/environment.js';
import { JobDefinitionError } from '../../../core/api/errors.js';
import { OutputTag } from '../../../core/api/output-tag.js';
import { genericCodec } from '../../../shm/codec/generic.js';
import { TumblingEventTimeWindows, TumblingProcessingTimeWindows, WatermarkStrategy } from '../../../core/index.js';

// Regression: `keyBy(...).name('by-user')` renamed the operator before the keyBy, and with it that
// operator's default uid, which its state is restored by.
test('name, uid, setParallelism and onError on keyBy, rebalance, broadcast or a side output fail at build time, naming the operator before it', () => {
  const env = new StreamEnvironment(2);
  const src = env.fromCollection([{ u: 'a', n: 1 }]).name('src');
  const parsed = src.map((r) => r).name('parse');
  const late = new OutputTag<number>('late');
  const views: [string, () => { name(n: string): unknown; uid(u: string): unknown; setParallelism(p: number): unknown; onError(p: 'drop'): unknown }][] = [
    ['keyBy(...)', () => parsed.keyBy((r) => r.u)],
    ['rebalance()', () => parsed.rebalance()],
    ['broadcast()', () => parsed.broadcast()],
    ['a side output', () => parsed.getSideOutput(late)],
  ];
  for (const [what, view] of views) {
    for (const [call, f] of [
      ['name', (s: ReturnType<typeof view>) => s.name('by-user')],
      ['uid', (s: ReturnType<typeof view>) => s.uid('x')],
      ['setParallelism', (s: ReturnType<typeof view>) => s.setParallelism(1)],
      ['onError', (s: ReturnType<typeof view>) => s.onError('drop')],
    ] as const) {
      assert.throws(() => f(view()), (e: unknown) => e instanceof JobDefinitionError && e.message.startsWith(`${call}: ${what} is not an operator`) && e.message.includes("'parse'"), `${what}.${call}`);
    }
  }
  assert.equal(parsed.keyBy((r) => r.u).map((r) => r.n).name('after').name('after2') !== undefined, true, 'the operator after a keyBy is named as usual');
  assert.deepEqual([src, parsed].map((s) => (s as unknown as { node: { name: string } }).node.name), ['src', 'parse'], 'nothing was renamed');
});

// Regression: a union of plain inputs runs nothing of its own (its consumers read its inputs), so its
// parallelism was taken and ignored.
test('setParallelism on a union fails at build time, naming it', () => {
  const env = new StreamEnvironment(2);
  const u = env.fromCollection([1]).name('a').union(env.fromCollection([2]).name('b')).name('both');
  assert.throws(() => u.setParallelism(1), (e: unknown) => e instanceof JobDefinitionError && /setParallelism: union 'both' runs nothing of its own/.test(e.message));
  // One with an input partitioned by hand is a task of its own, and takes a parallelism.
  const own = env.fromCollection([1]).name('c').union(env.fromCollection([2]).name('d').global()).name('mixed');
  own.setParallelism(1);
  assert.equal((own as unknown as { node: { parallelism: number } }).node.parallelism, 1);
});

test('a builder call without a function names the operator it follows', () => {
  const env = new StreamEnvironment(1);
  const parsed = env.fromCollection([1]).name('src').map((x) => x).name('parse');
  assert.throws(() => parsed.map(undefined as never), (e: unknown) => e instanceof JobDefinitionError && e.message === "map after operator 'parse': expected a function, got undefined");
  assert.throws(() => parsed.keyBy(42 as never), /^JobDefinitionError: keyBy after operator 'parse': expected a function, got number$/);
});

// Print(5) and withCodec({}) passed the build and failed on the threads (withCodec(null) was taken for
// the default codec).
test('print with a format that is not a function, and withCodec with something that is not a codec, fail at build time naming the operator', () => {
  const env = new StreamEnvironment(1);
  const parsed = env.fromCollection([1]).name('src').map((x) => x).name('parse');
  assert.throws(() => parsed.print(5 as never), /^JobDefinitionError: print after operator 'parse': expected a function, got number$/);
  for (const bad of [{}, null, 5, { kind: 'typed' }]) {
    assert.throws(() => parsed.withCodec(bad as never), (e: unknown) => e instanceof JobDefinitionError && /^withCodec on operator 'parse': expected a codec \(typedCodec\(schema\) or genericCodec\(\)\)/.test(e.message), String(bad));
  }
  parsed.withCodec(genericCodec()).print((x) => String(x));
});

// These said what was wrong but not where (in a job of many windows, which window?).
test('bad arguments to window, process, sink, union and their kin name the operator they follow', () => {
  const env = new StreamEnvironment(1);
  const parsed = env.fromCollection([{ k: 'a', n: 1 }]).name('src').map((x) => x).name('parse');
  const keyed = parsed.keyBy((r) => r.k);
  const other = new StreamEnvironment(1).fromCollection([{ k: 'b', n: 2 }]);
  const cases: [string, () => unknown, string][] = [
    ['window', () => keyed.window(5 as never), "window after operator 'parse': expected a window assigner"],
    ['windowAll', () => parsed.windowAll(5 as never), "window after operator 'parse': expected a window assigner"],
    ['trigger', () => keyed.countWindow(3).trigger({} as never), "window trigger after operator 'parse': expected a Trigger"],
    ['window process', () => keyed.countWindow(3).process(5 as never), "window process after operator 'parse': expected a window function"],
    ['window aggregate', () => keyed.countWindow(3).aggregate({} as never), "window aggregate after operator 'parse': expected an AggregateFunction"],
    ['allowedLateness < 0', () => keyed.window(TumblingEventTimeWindows.of(10)).allowedLateness(-1), "window allowedLateness after operator 'parse': expected an integer number of ms >= 0, got -1"],
    ['allowedLateness, processing time', () => keyed.window(TumblingProcessingTimeWindows.of(10)).allowedLateness(5), "window allowedLateness after operator 'parse': applies to event-time windows only"],
    ['windowAll allowedLateness', () => parsed.windowAll(TumblingEventTimeWindows.of(10)).allowedLateness(1.5), "window allowedLateness after operator 'parse': expected an integer number of ms >= 0, got 1.5"],
    ['join allowedLateness', () => parsed.join(parsed).where((r) => r.k).equalTo((r) => r.k).window(TumblingEventTimeWindows.of(10)).allowedLateness(-5), "join window allowedLateness after operators 'parse' and 'parse': expected an integer number of ms >= 0"],
    ['process', () => parsed.process(5 as never), "process after operator 'parse': expected a function or an object with processElement"],
    ['keyed process', () => keyed.process({ processElement() {}, onTimer: 5 } as never), "process after operator 'parse': onTimer must be a function"],
    ['sink', () => parsed.sink(5 as never), "sink after operator 'parse': expected a sink spec"],
    ['union', () => parsed.union(other), "union after operator 'parse': every stream must come from the same job"],
    ['assignTimestampsAndWatermarks', () => parsed.assignTimestampsAndWatermarks({} as never), "assignTimestampsAndWatermarks after operator 'parse': expected a WatermarkStrategy"],
  ];
  for (const [what, call, message] of cases) {
    assert.throws(call, (e: unknown) => e instanceof JobDefinitionError && e.message.startsWith(message), what);
  }
});

// Regression: a source spec without maxParallelism (a JavaScript connector) failed at start-up with "Cannot read
// properties of undefined (reading 'push')" from the runtime's split assignment, naming nothing.
test('fromSource refuses a source spec without a usable maxParallelism or enumerateSplits, naming the source', () => {
  const env = new StreamEnvironment(2);
  const spec = { kind: 'mine', fingerprint: 'mine', bounded: true, rewindable: false, enumerateSplits: () => [], createReader: () => { throw new Error('not read'); } };
  for (const [maxParallelism, got] of [[undefined, 'undefined'], [0, '0'], [1.5, '1.5'], [Number.NaN, 'NaN'], ['2', 'the string "2"']]) {
    assert.throws(() => env.fromSource({ ...spec, maxParallelism } as never, 'feed'), (e: unknown) => e instanceof JobDefinitionError && e.message === `fromSource: source 'feed': maxParallelism must be an integer >= 1 (1: the source cannot be split), got ${got}`, String(maxParallelism));
  }
  assert.throws(() => env.fromSource({ ...spec, maxParallelism: 1, enumerateSplits: undefined } as never), /^JobDefinitionError: fromSource: source of kind "mine": enumerateSplits must be a function$/);
  assert.doesNotThrow(() => env.fromSource({ ...spec, maxParallelism: Number.MAX_SAFE_INTEGER } as never, 'ok'));
});

// An unkeyed co-map's name reaches its per-input operators (x.1, x.2), but not their uids: those stay what they
// were when the name went to the union alone (an unaligned checkpoint's in-flight records name them); uid() sets
// theirs (found by the session's review of the co-map error policy).
test('an unkeyed co-map: name() names both functions\' operators and keeps their uids; uid() sets both', () => {
  const env = new StreamEnvironment(2);
  const a = env.fromCollection([1]).name('a');
  const b = env.fromCollection([2]).name('b');
  const named = a.connect(b).map((x) => x, (x) => x);
  const [one, two] = named.node.coFunctions!;
  const before = [one.name, two.name];
  named.name('x');
  assert.deepEqual([one.name, two.name], ['x.1', 'x.2']);
  assert.deepEqual([one.uid, two.uid], before);
  const pinned = a.connect(b).flatMap<number>((x, out) => out.collect(x), (x, out) => out.collect(x)).uid('u').name('y');
  assert.deepEqual(pinned.node.coFunctions!.map((n) => [n.name, n.uid]), [['y.1', 'u.1'], ['y.2', 'u.2']]);
});

// Regression: a misspelt option was ignored (reduce(fn, { stateSchems }) kept an object per key).
test('reduce and assignTimestampsAndWatermarks refuse a misspelt option, naming the operator before them', () => {
  const env = new StreamEnvironment(1);
  const src = env.fromCollection([{ u: 'a', n: 1 }]).name('src');
  assert.throws(() => src.keyBy((r) => r.u).reduce((a, b) => ({ u: a.u, n: a.n + b.n }), { stateSchems: {} } as never), (e: unknown) =>
    e instanceof JobDefinitionError && e.message === "reduce after operator 'src': unknown option 'stateSchems' (did you mean 'stateSchema'?); known: stateSchema");
  assert.throws(() => src.assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<{ u: string; n: number }>().withTimestampAssigner((r) => r.n), { perSplitt: true } as never), (e: unknown) =>
    e instanceof JobDefinitionError && e.message === "assignTimestampsAndWatermarks after operator 'src': unknown option 'perSplitt' (did you mean 'perSplit'?); known: perSplit");
  assert.equal(src.keyBy((r) => r.u).reduce((a) => a, { stateSchema: undefined }) !== undefined, true);
});
