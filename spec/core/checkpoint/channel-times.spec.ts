// Where an unaligned checkpoint's input channels stood (Manifest.channelTimes, format 3), and the watermarks among
// their in-flight records: assignRestore hands both to a subtask whose channels are the ones it had, and drops both
// wherever they are not (a rescale of it or a producer, an exchange added), as before format 3.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Packr } from 'msgpackr';
import { StreamEnvironment } from '../../../core/api/environment.js';
import { plan } from '../../../core/graph/physical-plan.js';
import { channelShape, gateChannels } from '../../../core/checkpoint/channel-shape.js';
import { assignRestore } from '../../../core/checkpoint/restore.js';
import type { InFlightRecord } from '../../../core/checkpoint/messages.js';
import type { Manifest } from '../../../core/checkpoint/manifest.js';
import type { ChannelTimes } from '../../../core/time/watermark-valve.js';

/** Source 'src' at `srcP` (and 'extra' at 1, unioned in) rebalanced (or keyed) into map 'm' at `p`. */
function job(p: number, o: { srcP?: number; extra?: boolean; keyed?: boolean } = {}) {
  const env = new StreamEnvironment(1);
  let s = env.fromCollection([1, 2]).name('src').uid('src').setParallelism(o.srcP ?? 1);
  if (o.extra) s = s.union(env.fromCollection([3]).name('extra').uid('extra'));
  (o.keyed ? s.keyBy((x: number) => x) : s.rebalance()).map((x: number) => x).name('m').uid('m').setParallelism(p).discard().name('out').uid('out').setParallelism(p);
  env.graph.validate();
  const pl = plan(env.graph, { chaining: true, threads: 1 });
  const m = pl.tasks.find((t) => env.graph.nodes[t.nodeIds[0]!]!.name === 'm')!;
  return { graph: env.graph, p: pl, m };
}

const rec = (v: number): InFlightRecord => ({ input: 0, value: v, timestamp: v });
const wm = (ts: number, channel: number): InFlightRecord => ({ input: 0, value: undefined, timestamp: NaN, control: { type: 'watermark', timestamp: ts }, channel });
const times = (channels: number): ChannelTimes => ({ wm: new Array(channels).fill(3), idle: new Array(channels).fill(0), aligned: new Array(channels).fill(1), ended: new Array(channels).fill(0), last: 3 });

/** A format-3 checkpoint of `before`: m's subtasks each with records around a watermark, and their channel times. */
function checkpoint(before: ReturnType<typeof job>, srcP = 1) {
  const pack = (x: unknown): Uint8Array => new Packr({ useRecords: true, sequential: true, moreTypes: true }).pack(x);
  const chunks = new Map<string, Uint8Array>();
  const inFlight: Record<string, { key: string; bytes: number }> = {};
  const channelTimes: Record<string, unknown> = {};
  for (let s = 0; s < before.m.parallelism; s++) {
    chunks.set(`m${s}`, pack([rec(4), wm(9, 0), rec(5)]));
    inFlight[`m/${s}`] = { key: `m${s}`, bytes: 1 };
    const channels = gateChannels(before.graph, before.p, before.m.id, s);
    channelTimes[`m/${s}`] = { ...times(channels.length), channels };
  }
  const manifest = {
    format: 3, id: 7, kind: 'checkpoint', createdAt: '', maxParallelism: before.p.maxParallelism, jobFingerprint: 'x', operators: {}, sources: {},
    inFlight, channels: { m: channelShape(before.graph, before.p, before.m.id) }, channelTimes,
    taskParallelism: { src: srcP, m: before.m.parallelism, out: before.m.parallelism }, keyedEntries: 0, finished: false,
  } as unknown as Manifest;
  return { manifest, chunks };
}

test('channel times: at the same channels a subtask gets them, and the watermarks among its in-flight records in place', () => {
  const into = job(2);
  const r = assignRestore(checkpoint(job(2)), into.graph, into.p, { allowNonRestoredState: false });
  for (let s = 0; s < 2; s++) {
    const got = r.subtasks[`${into.m.id}/${s}`]!;
    assert.deepEqual(got.channels, times(1));
    assert.deepEqual(got.inFlight!.map((x) => x.control?.type ?? x.value), [4, 'watermark', 5]);
  }
});

test('channel times: rescaled (the task, or its producer), or with an exchange added, neither the times nor the watermarks in flight are kept', () => {
  const cases = [
    { what: 'the task rescaled', before: job(2), into: job(3), srcP: 1 },
    { what: 'its producer rescaled', before: job(2, { srcP: 2 }), into: job(2), srcP: 2 },
    { what: 'a stream unioned in', before: job(2), into: job(2, { extra: true }), srcP: 1 },
    // Routed by key: a watermark has none (it is dropped before, not routed).
    { what: 'keyed, the task rescaled', before: job(2, { keyed: true }), into: job(3, { keyed: true }), srcP: 1 },
  ];
  for (const { what, before, into, srcP } of cases) {
    const r = assignRestore(checkpoint(before, srcP), into.graph, into.p, { allowNonRestoredState: false });
    const all: unknown[] = [];
    for (let s = 0; s < into.m.parallelism; s++) {
      const got = r.subtasks[`${into.m.id}/${s}`];
      assert.equal(got?.channels, undefined, what);
      all.push(...(got?.inFlight ?? []).map((x) => x.control?.type ?? x.value));
    }
    assert.deepEqual(all.sort(), [4, 4, 5, 5], what);
  }
});
