// Runs on: the benchmark's main thread. What a plain broadcast process operator's state costs at a checkpoint: the
// function's own state (snapshotState), and broadcast state (a MapStateDescriptor's map), each --entries (default
// 40,000) of q4's open auctions, as Q4LocalWinners keeps them. Packed once at the barrier (engine sluice, the
// default) against a structured clone there, packed again when the chunk is written (sluice.cloned: stateFastPaths
// off, the path before).
//
//   npm run bench:own-state-snapshots -- [--json [PATH]] [--quick] [--rounds N] [--entries N]
//
// Rows (interleaved in rounds, the order rotated: micro.ts measure; figures are medians over rounds of a round's
// median sample; eventsPerSec is snapshots/s, p50Us/p99Us us a snapshot), for the own state and again for the
// broadcast state (snapshot.broadcast-state.barrier, ...; an operator with broadcast state only, whose items
// redistribute by 'broadcast'):
// - snapshot.own-state.barrier: the operator's snapshotState on the task's thread, where the records wait.
// - snapshot.own-state.chunk: that, then the chunk the coordinator writes on the main thread (its msgpack of the
//   items): every encoding the checkpoint does, on either thread.
// - restore.own-state: the chunk read back as restore.ts reads it, then the operator's restoreState (the function
//   given every old instance's state; the broadcast state's maps filled).
// outputRows/outputChecksum: the entries of the state a chunk restores, folded over every field.

import { MapStateDescriptor, StreamEnvironment, type BroadcastProcessFunction } from '../core/index.js';
import type { BroadcastProcessOperator } from '../core/operators/broadcast-process.js';
import { createOperator } from '../core/operators/create-operator.js';
import { operatorBuilders } from '../core/operators/builders.js';
import type { Downstream } from '../core/operators/operator.js';
import { TaskContext } from '../core/operators/task-context.js';
import { chunkPackr } from '../core/checkpoint/chunk-packr.js';
import { emitReport, parseJsonArg } from './report.js';
import { Checksum, benchTimes, measure, printRatios, taskRow } from './micro.js';

/** An open auction as q4's local winners keep it (benchmarks/nexmark/sluice-queries.ts Auction4). */
interface Auction { category: number; dateTime: number; expires: number; final: number; closed: boolean }

const argv = process.argv.slice(2);
const at = argv.indexOf('--entries');
const ENTRIES = at >= 0 ? Number(argv[at + 1]) : argv.includes('--quick') ? 4000 : 40_000;

const sink: Downstream<unknown> = { push() {}, watermark() {}, idle() {}, finish() {} };

/** A broadcast process operator whose function's own state is `auctions`; what its restoreState was given goes to `restored`. */
function operator(stateFastPaths: boolean, auctions: Map<number, Auction>, restored: { states: readonly unknown[] }): BroadcastProcessOperator<number, number, number> {
  const env = new StreamEnvironment(1);
  const rules = env.fromCollection<number>([]).broadcast();
  const fn: BroadcastProcessFunction<number, number, number> = {
    processElement() {},
    processBroadcastElement() {},
    snapshotState: () => auctions,
    restoreState(states) { restored.states = states; },
  };
  const node = env.fromCollection<number>([]).connect(rules).process<number>(fn).name('q4.local').node;
  const ctx = new TaskContext('bench', 0, 1, env.graph.maxParallelism);
  ctx.stateFastPaths = stateFastPaths;
  return createOperator(node, ctx, sink, { graph: env.graph, checkpointing: true }, operatorBuilders) as unknown as BroadcastProcessOperator<number, number, number>;
}

const AUCTIONS = new MapStateDescriptor<number, Auction>('auctions');

/** A broadcast process operator whose broadcast state holds `auctions` (put by its broadcast input), and no own state. */
function broadcastOperator(stateFastPaths: boolean, auctions: Map<number, Auction>): BroadcastProcessOperator<number, [number, Auction], number> {
  const env = new StreamEnvironment(1);
  const rules = env.fromCollection<[number, Auction]>([]).broadcast(AUCTIONS);
  const fn: BroadcastProcessFunction<number, [number, Auction], number> = {
    processElement() {},
    processBroadcastElement([id, a], ctx) { ctx.getBroadcastState(AUCTIONS).put(id, a); },
  };
  const node = env.fromCollection<number>([]).connect(rules).process<number>(fn).name('q4.auctions').node;
  const ctx = new TaskContext('bench', 0, 1, env.graph.maxParallelism);
  ctx.stateFastPaths = stateFastPaths;
  const op = createOperator(node, ctx, sink, { graph: env.graph, checkpointing: true }, operatorBuilders) as unknown as BroadcastProcessOperator<number, [number, Auction], number>;
  for (const entry of auctions) op.input2.push(entry);
  return op;
}

function auctionsOf(n: number): Map<number, Auction> {
  const m = new Map<number, Auction>();
  for (let i = 0; i < n; i++) {
    const dateTime = 1_700_000_000_000 + i * 37;
    m.set(1000 + i, { category: 10 + (i % 5), dateTime, expires: dateTime + 10_000 + (i % 7) * 1000, final: i % 3 === 0 ? -1 : (i * 7919) % 100_000, closed: i % 11 === 0 });
  }
  return m;
}

/** Every field of every entry. */
function checksumOf(entries: Iterable<[unknown, unknown]>): Checksum {
  const c = new Checksum();
  for (const [id, a] of entries as Iterable<[number, Auction]>) c.add(id, a.category, a.dateTime, a.expires, a.final, a.closed ? 1 : 0);
  return c;
}

async function main(): Promise<void> {
  const target = parseJsonArg(argv);
  const times = benchTimes(argv);
  const auctions = auctionsOf(ENTRIES);
  const engines = [['sluice', true], ['sluice.cloned', false]] as const;
  const note = `a Map of ${ENTRIES} open auctions (q4's Auction4); eventsPerSec: snapshots (restores)/s, p50Us: us each`;
  const results = [];
  // Each kind of state: an operator holding it, the chunk a restore reads, a fresh operator to restore it into, and
  // what that one holds once restored.
  const kinds = [
    ['own-state', (packed: boolean) => {
      const restored = { states: [] as readonly unknown[] };
      const op = operator(packed, auctions, restored);
      return { op, into: operator(packed, new Map(), restored), held: () => restored.states[0] as Map<number, Auction> };
    }],
    ['broadcast-state', (packed: boolean) => {
      const into = broadcastOperator(packed, new Map());
      return { op: broadcastOperator(packed, auctions), into, held: () => into.broadcastEntries(AUCTIONS.name) };
    }],
  ] as const;
  for (const [kind, make] of kinds) {
    const ops = engines.map(([name, packed]) => {
      const o = make(packed);
      return { name, ...o, chunk: chunkPackr().pack(o.op.snapshotState().operator!) };
    });
    const rows: [string, (o: (typeof ops)[number]) => () => void][] = [
      [`snapshot.${kind}.barrier`, (o) => () => { o.op.snapshotState(); }],
      [`snapshot.${kind}.chunk`, (o) => () => { chunkPackr().pack(o.op.snapshotState().operator!); }],
      [`restore.${kind}`, (o) => () => { o.into.restoreState({ keyed: [], operator: chunkPackr().unpack(o.chunk) as unknown[] }); }],
    ];
    for (const [benchmark, task] of rows) {
      const m = await measure(benchmark, ops.map((o) => [o.name, task(o)] as const), times);
      for (const o of ops) {
        // Each engine's own chunk restored once more: what its state came back as.
        o.into.restoreState({ keyed: [], operator: chunkPackr().unpack(o.chunk) as unknown[] });
        results.push(taskRow(m.get(o.name)!, benchmark, o.name, 1, checksumOf(o.held()), { entries: ENTRIES, chunkBytes: o.chunk.length, note }));
      }
    }
  }
  emitReport(results, target);
  printRatios(results, (e) => e === 'sluice.cloned');
}

await main();
