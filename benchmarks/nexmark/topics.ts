// Runs on: any thread; in a sluice job, each source subtask of a topic (benchmarks/nexmark/sluice-job.ts). The
// Nexmark stream read as two topics, as a deployment reading Kafka would: the auctions, and everything else (people
// and bids), each in stream order. Together they generate every event once, as the single stream does, so a
// query reading topics does the same generator work as the baselines. A record is a pure function of its event
// id (generator.ts), so a topic's k-th record is the stream's k-th event of its kinds, built directly.

import { eventIdAt, totalProportion, type NexmarkConfig } from './config.js';
import { NexmarkGenerator } from './generator.js';
import type { NexmarkEvent } from './model.js';

export type Topic = 'auctions' | 'people-and-bids';

/** How many of the ids below `id` are auctions. */
function auctionsBelow(c: NexmarkConfig, id: number): number {
  const total = totalProportion(c);
  const rem = id % total;
  return Math.floor(id / total) * c.auctionProportion + Math.min(Math.max(rem - c.personProportion, 0), c.auctionProportion);
}

function inTopic(c: NexmarkConfig, topic: Topic, id: number): boolean {
  const rem = id % totalProportion(c);
  const auction = rem >= c.personProportion && rem < c.personProportion + c.auctionProportion;
  return auction === (topic === 'auctions');
}

/** How many of the ids below `id` are in `topic`. */
function topicBelow(c: NexmarkConfig, topic: Topic, id: number): number {
  const a = auctionsBelow(c, id);
  return topic === 'auctions' ? a : id - a;
}

/** The topic's length for a bounded stream (Infinity for an unbounded one). */
export function topicLength(c: NexmarkConfig, topic: Topic): number {
  return c.events === Infinity ? Infinity : topicBelow(c, topic, c.events);
}

/** The event id of the topic's k-th id in id order (closed form). */
function kthId(c: NexmarkConfig, topic: Topic, k: number): number {
  const total = totalProportion(c);
  if (topic === 'auctions') return Math.floor(k / c.auctionProportion) * total + c.personProportion + (k % c.auctionProportion);
  const per = total - c.auctionProportion;
  const r = k % per;
  return Math.floor(k / per) * total + (r < c.personProportion ? r : r + c.auctionProportion);
}

/**
 * Position -> event of one topic: its k-th record is the k-th event of its kinds in stream (emission) order. In
 * order (outOfOrderGroupSize 1) that is a closed form. Shuffled, a group of positions holds the same ids as in
 * order, only reordered (config.ts's eventIdAt): the topic's records of one group are found by walking that group
 * once and kept for the reads that follow (a subtask reads every parallelism-th, in order).
 */
export function topicEventFunction(c: NexmarkConfig, topic: Topic): (k: number) => NexmarkEvent {
  const gen = new NexmarkGenerator(c);
  const n = c.outOfOrderGroupSize;
  if (n === 1) return (k) => gen.eventById(kthId(c, topic, k));
  let groupStart = -1;
  let firstK = 0;
  let ids: number[] = [];
  return (k) => {
    if (groupStart < 0 || k < firstK || k >= firstK + ids.length) {
      // The group holding the topic's k-th id: its ids are [base, base + n) whatever their order.
      const id = kthId(c, topic, k);
      groupStart = id - (id % n);
      firstK = topicBelow(c, topic, groupStart);
      ids = [];
      const end = Math.min(groupStart + n, c.events);
      for (let p = groupStart; p < end; p++) {
        const e = eventIdAt(c, p);
        if (inTopic(c, topic, e)) ids.push(e);
      }
    }
    return gen.eventById(ids[k - firstK]!);
  };
}
