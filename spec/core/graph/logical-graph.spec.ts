// LogicalGraph.validate: job definitions that cannot run as written fail at build time, naming the operator.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamEnvironment } from '../../../core/api/environment.js';
import { JobDefinitionError } from '../../../core/api/errors.js';
import { DEAD_LETTERS } from '../../../core/api/dead-letters.js';
import { OutputTag } from '../../../core/api/output-tag.js';
import { typedCodec } from '../../../shm/codec/typed.js';
import { recordSchema } from '../../../shm/codec/schema.js';

function fails(build: (env: StreamEnvironment) => void, message: RegExp): void {
  const env = new StreamEnvironment(2);
  assert.throws(() => { build(env); env.graph.validate(); }, (e: unknown) => e instanceof JobDefinitionError && message.test(e.message), String(message));
}

// Regression: two operators with one uid were accepted; on resume one of them restored the other's state
// (or none), without a word.
test('a uid used twice, or equal to another operator name (its default uid), fails, naming both operators', () => {
  fails((env) => {
    const src = env.fromCollection([1, 2]).name('src');
    src.keyBy((x) => x).reduce((a, b) => a + b).name('count').uid('dup').discard().name('out1');
    src.keyBy((x) => x).reduce((a, b) => a * b).name('sum').uid('dup').discard().name('out2');
  }, /^operator 'sum' \(reduce\): its uid 'dup' is also the uid of operator 'count' \(reduce\); uids key operator state in checkpoints and must be unique$/);
  fails((env) => {
    const src = env.fromCollection([1, 2]).name('src');
    src.map((x) => x).name('totals').discard().name('out1');
    src.map((x) => x).name('renamed').uid('totals').discard().name('out2');
  }, /^operator 'renamed' \(map\): its uid 'totals' is also the name \(its default uid\) of operator 'totals' \(map\)/);
  const ok = new StreamEnvironment(2);
  ok.fromCollection([1]).name('src').map((x) => x).name('m').uid('m').discard().name('out');
  ok.graph.validate();
  assert.throws(() => ok.fromCollection([1]).uid(''), /uid: expected a non-empty string/);
});

// Regression: a sink returns a stream (typed never); an operator reading it was accepted and got nothing.
test('an operator reading the output of a sink fails, naming it and the sink', () => {
  fails((env) => {
    const first = env.fromCollection([1, 2]).name('src').collect().name('first');
    (first as unknown as { map(f: (x: unknown) => unknown): { name(n: string): { collect(): { name(n: string): unknown } } } }).map((x) => x).name('after-sink').collect().name('second');
  }, /^operator 'after-sink' \(map\): reads the output of operator 'first' \(sink\), and a sink has none/);
});

test("reading the dead letters of an operator whose policy is not 'dead-letter' fails: it would send none", () => {
  fails((env) => {
    const parsed = env.fromCollection(['1']).name('src').map((s) => JSON.parse(s) as number).name('parse').onError('drop');
    parsed.discard().name('out');
    parsed.getSideOutput(DEAD_LETTERS).collect().name('dead');
  }, /^operator 'dead' \(sink\): reads the dead letters of operator 'parse' \(map\), whose error policy is 'drop', so it sends none: give it onError\('dead-letter'\)$/);
  const ok = new StreamEnvironment(2);
  const parsed = ok.fromCollection(['1']).name('src').map((s) => JSON.parse(s) as number).name('parse');
  parsed.getSideOutput(DEAD_LETTERS).collect().name('dead');
  parsed.onError('dead-letter').discard().name('out');
  ok.graph.validate();
});

// Regression: withCodec on a side output set the operator's main output codec, which then rejected its
// main records at run time.
test('withCodec on a side output fails at build time (side outputs always use the generic codec)', () => {
  const env = new StreamEnvironment(2);
  const late = new OutputTag<string>('late');
  const main = env.fromCollection([{ n: 1 }]).name('src').map((x) => x).name('proc');
  assert.throws(() => main.getSideOutput(late).withCodec(typedCodec(recordSchema({ n: 'u32' })) as never),
    (e: unknown) => e instanceof JobDefinitionError && e.message.startsWith("withCodec: side outputs always use the generic codec; call withCodec on the operator's main output ('proc')"));
});

// A job parallelism above maxParallelism was refused even when every operator set its own.
test('a job parallelism above maxParallelism fails only when an operator takes it, naming that operator', () => {
  const build = (own: boolean): StreamEnvironment => {
    const env = new StreamEnvironment(8);
    env.setMaxParallelism(4);
    const src = env.fromGenerator({ count: 10 }, (i) => i).name('gen');
    if (own) src.setParallelism(2);
    const m = src.keyBy((x) => x % 3).reduce((a, b) => a + b).name('sum').setParallelism(4);
    m.discard().name('out').setParallelism(1);
    return env;
  };
  assert.throws(() => build(false).graph.validate(), (e: unknown) => e instanceof JobDefinitionError
    && /^job parallelism 8 exceeds maxParallelism 4 \(operator 'gen' \(source\) takes it\): subtasks beyond it would own no key groups$/.test(e.message));
  build(true).graph.validate();
});
