// Jobs for the file connector tests.
//   ?case=to-csv&in=/dir&out=/dir        JSON Lines files under `in` (glob) -> CSV part files in `out` (header row)
//   ?case=from-csv&in=/dir               CSV files (with a header) -> collect
//   ?case=eo&in=/dir&follow=0|1&failAt=i&marker=/path&ledger=/dir&interval=10&crash=throw|exit&pattern=*.jsonl&discover=ms&gate=/path
//                                        JSON Lines files (`pattern` under `in`; discovered every `discover` ms when
//                                        following) -> a map that fails once at record i (throws, or kills its worker
//                                        thread: process.exit in a worker; with gate: at the first record from i on
//                                        once that file exists) -> a ledger
//   ?case=sink&n=20000&rate=20000&out=/dir&interval=15&rollIntervalMs=ms&unbounded=0|1
//                                        generator -> JSON Lines part files (exactly-once, for the kill test)
//   ?case=sink-open&n=40000&rate=20000&out=/dir&interval=50&bufferBytes=b&unbounded=0|1
//                                        generator -> records { p, s } (partition i mod 4, sequence i div 4) -> part
//                                        files rolled only by the default rollIntervalMs: open across checkpoints
//   ?case=sink-taken&out=/dir&rate=20000&interval=50&n=N|unbounded=1&crashGate=/path&marker=/path&hold=before|after&holdGate=/path&held=/path
//                                        generator -> records { p, s } (partition i mod 4, sequence i div 4) -> a map
//                                        whose worker thread exits once (process.exit) at the first record after the
//                                        crashGate file exists -> part files (rolled at 300 records, else open across
//                                        checkpoints). Once the holdGate file exists, the first commit with closed and
//                                        open parts hangs for good, 'before' publishing anything (the PUBLISHED mark is
//                                        written) or 'after' it is done, and writes `held` first: JSON { checkpointId,
//                                        pending, finals, open } of that commit's parts (for the spec to kill the process).
//                                        restoreHeld=/path: a restore hangs for good once its publish is durable (before
//                                        its leftovers are deleted), having written that file: JSON { checkpointId,
//                                        finals, open } of the parts it published
//   ?case=sink-ended&out=/dir&n=2000&interval=50&log=/path
//                                        generator -> a map that holds odd records (subtask 1's) 2 ms each -> part files;
//                                        each commit appends `commit <checkpoint>` to `log`, and `end <subtask> <id>
//                                        <checkpoint>` for each end-of-input transaction it is given
//   ?case=sink-fails&out=/dir&failAt=i&marker=/path&interval=60000&rate=r&gate=/path&n=5000&unbounded=0|1
//                                        generator -> a map that fails once at record i (with gate: at the first record
//                                        from i on once that file exists) -> part files (rolled at 100 records)
import { appendFileSync, existsSync, renameSync, writeFileSync } from 'node:fs';
import { csv, defineJob, fileSink, jsonLines, type PreparedTransaction, type SinkSpec } from '../../../../../core/index.js';
import type { FileSinkTransaction } from '../../../../../core/connectors/file/part-files.js';
import { recoverFileSink } from '../../../../../core/connectors/file/rolling-file-writer.js';
import { blockFor, ledgerSink } from '../../../checkpoint/ledger.js';

const q = new URL(import.meta.url).searchParams;
const c = q.get('case')!;
// unbounded=1: the generator never ends (n ignored), for runs that the spec stops itself.
const count = (fallback: number): { count?: number } => (q.get('unbounded') === '1' ? {} : { count: Number(q.get('n') ?? fallback) });

export interface Row { id: number; name: string }

export default defineJob((env) => {
  if (c === 'to-csv') {
    env.fromFiles(`${q.get('in')}/**/*.jsonl`, jsonLines<Row>()).name('read')
      .map((r) => ({ id: r.id, name: r.name.toUpperCase() })).name('upper')
      .sink(fileSink({ dir: q.get('out')!, format: csv({ columns: ['id', 'name'], header: true }), rollRecords: 700 })).name('write');
  } else if (c === 'from-csv') {
    env.fromFiles(q.get('in')!, csv({ header: true })).name('read').collect().name('out');
  } else if (c === 'eo') {
    const failAt = Number(q.get('failAt') ?? -1);
    const marker = q.get('marker') ?? '';
    // With gate: at the first record from failAt on once that file exists (the spec writes it after a checkpoint).
    const gate = q.get('gate');
    env.enableCheckpointing(Number(q.get('interval') ?? 10));
    const follow = q.get('follow') === '1' ? { pollIntervalMs: 20 } : false;
    const discover = q.get('discover');
    env.fromFiles(`${q.get('in')}/${q.get('pattern') ?? '*.jsonl'}`, jsonLines<{ i: number }>(), { follow, ...(discover === null ? {} : { discoverIntervalMs: Number(discover) }) }).name('read').uid('read')
      .map((r) => {
        if ((gate === null ? r.i === failAt : r.i >= failAt && existsSync(gate)) && !existsSync(marker)) {
          writeFileSync(marker, 'failed once');
          if (q.get('crash') === 'exit') process.exit(3);
          throw new Error(`injected failure at record ${r.i}`);
        }
        return r;
      }).name('inject').uid('inject')
      .rebalance().map((r) => r.i).name('ids').uid('ids')
      .sink(ledgerSink<number>(q.get('ledger')!)).name('out').uid('out');
  } else if (c === 'sink-fails') {
    const failAt = Number(q.get('failAt'));
    const marker = q.get('marker')!;
    // The spec writes the gate file once a checkpoint has completed: a failure that waits for it comes after one.
    const gate = q.get('gate');
    let failed = false;
    env.enableCheckpointing(Number(q.get('interval') ?? 60_000));
    const rate = q.get('rate');
    env.fromGenerator({ ...count(5000), seed: 1, ...(rate === null ? {} : { ratePerSec: Number(rate) }) }, (i) => ({ i })).name('gen').uid('gen')
      .map((r) => {
        if (failed || failAt < 0 || (gate === null ? r.i !== failAt : r.i < failAt || !existsSync(gate))) return r;
        if (existsSync(marker)) { failed = true; return r; }
        writeFileSync(marker, 'failed once');
        throw new Error(`injected failure at record ${r.i}`);
      }).name('inject').uid('inject')
      .sink(fileSink({ dir: q.get('out')!, format: jsonLines<{ i: number }>(), rollRecords: 100, bufferBytes: 0 })).name('parts').uid('parts');
  } else if (c === 'sink-taken') {
    const crashGate = q.get('crashGate');
    const marker = q.get('marker') ?? '';
    env.enableCheckpointing(Number(q.get('interval') ?? 50));
    env.fromGenerator({ ...count(40_000), ratePerSec: Number(q.get('rate') ?? 20_000), seed: 5 }, (i) => ({ p: i % 4, s: Math.floor(i / 4) })).name('gen').uid('gen')
      .map((r) => {
        if (crashGate !== null && existsSync(crashGate) && !existsSync(marker)) {
          writeFileSync(marker, 'crashed once');
          process.exit(3);
        }
        return r;
      }).name('crash').uid('crash')
      .sink(restoreHeld(held(fileSink({ dir: q.get('out')!, format: jsonLines<{ p: number; s: number }>(), rollRecords: 300, bufferBytes: 0 })), q.get('out')!)).name('parts').uid('parts');
  } else if (c === 'sink-ended') {
    const log = q.get('log')!;
    env.enableCheckpointing(Number(q.get('interval') ?? 50));
    env.fromGenerator({ count: Number(q.get('n') ?? 2000), seed: 1 }, (i) => ({ i })).name('gen').uid('gen')
      .map((r) => { if (r.i % 2 === 1) blockFor(2); return r; }).name('slow-odd').uid('slow-odd')
      .sink(counted(fileSink({ dir: q.get('out')!, format: jsonLines<{ i: number }>(), rollRecords: 200 }), log)).name('parts').uid('parts');
  } else if (c === 'sink-open') {
    env.enableCheckpointing(Number(q.get('interval') ?? 50));
    env.fromGenerator({ ...count(40_000), ratePerSec: Number(q.get('rate') ?? 20_000), seed: 5 }, (i) => ({ p: i % 4, s: Math.floor(i / 4) })).name('gen').uid('gen')
      .sink(fileSink({ dir: q.get('out')!, format: jsonLines<{ p: number; s: number }>(), bufferBytes: Number(q.get('bufferBytes') ?? 65_536) })).name('parts').uid('parts');
  } else {
    env.enableCheckpointing(Number(q.get('interval') ?? 15));
    const roll = q.get('rollIntervalMs');
    env.fromGenerator({ ...count(20_000), ratePerSec: Number(q.get('rate') ?? 20_000), seed: 3 }, (i) => ({ i })).name('gen').uid('gen')
      .sink(fileSink({ dir: q.get('out')!, format: jsonLines<{ i: number }>(), rollRecords: 300, ...(roll === null ? {} : { rollIntervalMs: Number(roll) }) })).name('parts').uid('parts');
  }
});

/** `inner`, whose commit logs each call and each end-of-input transaction it is given to `log`. */
function counted<T>(inner: SinkSpec<T>, log: string): SinkSpec<T> {
  return {
    ...inner,
    async commit(transactions, context) {
      const id = context?.checkpointId ?? -1;
      appendFileSync(log, `commit ${id}\n${transactions.filter((t) => t.end !== undefined).map((t) => `end ${t.subtask} ${t.end} ${id}\n`).join('')}`);
      await inner.commit!(transactions, context);
    },
  };
}

/** `inner`, whose commit hangs once the holdGate file exists (sink-taken), before or after publishing. */
function held<T>(inner: SinkSpec<T>): SinkSpec<T> {
  const gate = q.get('holdGate');
  const after = q.get('hold') === 'after';
  return {
    ...inner,
    async commit(transactions: PreparedTransaction[], context) {
      const txs = transactions.map((t) => t.transaction as FileSinkTransaction);
      const hold = gate !== null && existsSync(gate) && txs.some((t) => t.parts.length > 0) && txs.some((t) => t.open !== undefined);
      if (hold && after) await inner.commit!(transactions, context);
      if (hold) {
        // Whole when it appears (a rename): the spec reads it as soon as it sees it.
        const heldFile = q.get('held')!;
        writeFileSync(`${heldFile}.tmp`, JSON.stringify({
          checkpointId: context?.checkpointId,
          pending: txs.flatMap((t) => t.parts.map((p) => p.pending)),
          finals: txs.flatMap((t) => t.parts.map((p) => p.final)),
          open: txs.flatMap((t) => (t.open === undefined ? [] : [t.open.final])),
          openBytes: txs.flatMap((t) => (t.open === undefined ? [] : [t.open.bytes])),
        }));
        renameSync(`${heldFile}.tmp`, heldFile);
        return new Promise<void>(() => {});
      }
      await inner.commit!(transactions, context);
    },
  };
}

/** `inner`, a file sink of JSON Lines parts in `dir`, whose restore hangs once its publish is durable (sink-taken's restoreHeld). */
function restoreHeld<T>(inner: SinkSpec<T>, dir: string): SinkSpec<T> {
  const heldFile = q.get('restoreHeld');
  if (heldFile === null) return inner;
  return {
    ...inner,
    async recover(transactions: PreparedTransaction[], context) {
      const txs = transactions.map((t) => t.transaction as FileSinkTransaction);
      await recoverFileSink(dir, { prefix: 'part', suffix: '.jsonl' }, txs, context, {
        published: () => {
          // Whole when it appears (a rename): the spec kills the process as soon as it sees it.
          writeFileSync(`${heldFile}.tmp`, JSON.stringify({
            checkpointId: context?.checkpointId,
            finals: txs.flatMap((t) => t.parts.map((p) => p.final)),
            open: txs.flatMap((t) => (t.open === undefined ? [] : [t.open.final])),
          }));
          renameSync(`${heldFile}.tmp`, heldFile);
          return new Promise<void>(() => {});
        },
      });
    },
  };
}
