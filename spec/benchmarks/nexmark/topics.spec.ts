// The Nexmark stream read as two topics (benchmarks/nexmark/topics.ts): each topic's k-th record is the stream's
// k-th event of its kinds, in order and shuffled alike, and the two together are every event exactly once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventIdAt, kindOfEvent, nexmarkConfig, type NexmarkConfig } from '../../../benchmarks/nexmark/config.js';
import { NexmarkGenerator } from '../../../benchmarks/nexmark/generator.js';
import { topicEventFunction, topicLength, type Topic } from '../../../benchmarks/nexmark/topics.js';

function expectedIds(c: NexmarkConfig, topic: Topic): number[] {
  const ids: number[] = [];
  for (let p = 0; p < c.events; p++) {
    const id = eventIdAt(c, p);
    if ((kindOfEvent(c, id) === 'auction') === (topic === 'auctions')) ids.push(id);
  }
  return ids;
}

const CONFIGS: [string, NexmarkConfig][] = [
  ['in order', nexmarkConfig({ events: 20_017 })],
  ['shuffled in groups of 300, cut short at the end', nexmarkConfig({ events: 20_017, eventsPerSec: 200, outOfOrderGroupSize: 300 })],
  ['other proportions', nexmarkConfig({ events: 5_003, personProportion: 2, auctionProportion: 5, bidProportion: 13 })],
];

for (const [what, c] of CONFIGS) {
  test(`each topic's k-th record is the stream's k-th event of its kinds (${what}), and together they are every event once`, () => {
    const gen = new NexmarkGenerator(c);
    const all: number[] = [];
    for (const topic of ['auctions', 'people-and-bids'] as const) {
      const want = expectedIds(c, topic);
      assert.equal(topicLength(c, topic), want.length, `${topic}: length`);
      const f = topicEventFunction(c, topic);
      // A subtask reads every parallelism-th record: read with a stride of 2 from both starts, as two would.
      for (const start of [0, 1]) {
        for (let k = start; k < want.length; k += 2) assert.deepEqual(f(k), gen.eventById(want[k]!), `${topic} #${k}`);
      }
      all.push(...want);
    }
    assert.deepEqual(all.sort((a, b) => a - b), Array.from({ length: c.events }, (_, i) => i));
  });
}

test('an unbounded stream has unbounded topics', () => {
  const c = nexmarkConfig({ events: Infinity });
  assert.equal(topicLength(c, 'auctions'), Infinity);
  assert.equal(topicEventFunction(c, 'auctions')(4).kind, 'auction');
  assert.equal(topicEventFunction(c, 'people-and-bids')(0).kind, 'person');
});
