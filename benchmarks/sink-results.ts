// Runs on: the benchmark's main thread. A sink's finish (or stopped) result on its way to the main thread: what a
// worker thread does with it at the end of a run, here on a MessageChannel within one thread (post, then the
// receiving end's message: serialize and deserialize), for RECORDS small records.
//
//   node --import tsx benchmarks/sink-results.ts [--json [PATH]] [--quick]
//
// - sluice: workers/sink-results.ts, the post is the check that the result can be sent.
// - sluice.clone-check: as before it, a structuredClone of the result to check it, then the post.
// Interleaved in rounds (micro.ts measure); events/s: records per second. outputRows / outputChecksum: the records
// received in a verification post of each.

import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { SinkResultLink } from '../workers/sink-results.js';
import type { SinkResult } from '../workers/assignment.js';
import { emitReport, parseJsonArg, type BenchResult } from './report.js';
import { benchTimes, Checksum, measure, printRatios, taskRow } from './micro.js';

const RECORDS = 100_000;

const records = Array.from({ length: RECORDS }, (_, i) => ({ i, v: i & 255 }));

/** Posts the result the engine's way, then takes it off the other end (as the main thread's port would). */
function send(engine: string, link: SinkResultLink, port: MessagePort): { i: number; v: number }[] {
  if (engine === 'sluice.clone-check') structuredClone(records);
  const before = link.posted;
  const e = link.post({ node: 0, subtask: 0, result: records }, 'out', 'finish');
  if (e !== undefined) throw e;
  // A long array comes in parts, joined as the main thread's SinkResultPorts does.
  const parts: { i: number; v: number }[][] = [];
  for (let k = before; k < link.posted; k++) {
    const m = receiveMessageOnPort(port)?.message as SinkResult | undefined;
    if (m === undefined) throw new Error('no result received');
    parts.push(m.result as { i: number; v: number }[]);
  }
  return parts.length === 1 ? parts[0]! : parts[0]!.concat(...parts.slice(1));
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const target = parseJsonArg(argv);
  const times = benchTimes(argv);
  const engines = ['sluice', 'sluice.clone-check'];
  const channels = engines.map(() => new MessageChannel());
  const links = channels.map((c) => new SinkResultLink(c.port1 as MessagePort));
  const checks = engines.map((name, k) => {
    const c = new Checksum();
    for (const r of send(name, links[k]!, channels[k]!.port2 as MessagePort)) c.add(r.i, r.v);
    return c;
  });
  const m = await measure('sink-result', engines.map((name, k) => [name, () => { send(name, links[k]!, channels[k]!.port2 as MessagePort); }] as const), times);
  const results: BenchResult[] = engines.map((name, k) => taskRow(m.get(name)!, 'sink-result.records', name, RECORDS, checks[k]!, { records: RECORDS }));
  for (const c of channels) c.port1.close();
  emitReport(results, target);
  printRatios(results, (e) => e === 'sluice.clone-check');
}

await main();
