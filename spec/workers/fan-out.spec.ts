// FanOut: a stream that feeds several downstream tasks. Each of them must see the whole stream, signals included
// (a watermark, idleness or the end missing on one output stalls or never ends that task).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FanOut } from '../../workers/fan-out.js';
import type { Downstream } from '../../core/operators/operator.js';

/** An output that appends what it gets to a log shared by all outputs, tagged with its name. */
function output(name: string, log: string[]): Downstream<unknown> {
  return {
    push: (v) => { log.push(`${name} push ${JSON.stringify(v)}`); },
    watermark: (w) => { log.push(`${name} watermark ${w}`); },
    idle: (i) => { log.push(`${name} idle ${i}`); },
    finish: () => { log.push(`${name} finish`); },
  };
}

test('every record and signal goes to every output, each to all outputs (in their order) before the next', () => {
  const log: string[] = [];
  const f = new FanOut<unknown>([output('a', log), output('b', log), output('c', log)]);
  f.push({ k: 1 });
  f.watermark(10);
  f.idle(true);
  f.idle(false);
  f.push(2);
  f.finish();
  const each = (what: string): string[] => ['a', 'b', 'c'].map((n) => `${n} ${what}`);
  assert.deepEqual(log, [
    ...each('push {"k":1}'), ...each('watermark 10'), ...each('idle true'), ...each('idle false'), ...each('push 2'), ...each('finish'),
  ]);
});

test('the same record object reaches every output (outputs serialize it; nothing copies it here)', () => {
  const got: unknown[] = [];
  const sink = (): Downstream<unknown> => ({ push: (v) => { got.push(v); }, watermark() {}, idle() {}, finish() {} });
  const record = { n: 1 };
  new FanOut<unknown>([sink(), sink()]).push(record);
  assert.equal(got.length, 2);
  assert.equal(got[0], record);
  assert.equal(got[1], record);
});

test('falsy records and watermarks are passed on as they are', () => {
  const log: string[] = [];
  const f = new FanOut<unknown>([output('a', log), output('b', log)]);
  f.push(0);
  f.push(null);
  f.watermark(0);
  f.watermark(-Infinity);
  assert.deepEqual(log, ['a push 0', 'b push 0', 'a push null', 'b push null', 'a watermark 0', 'b watermark 0', 'a watermark -Infinity', 'b watermark -Infinity']);
});
