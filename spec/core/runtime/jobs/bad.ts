// Jobs that cannot run, selected by the module URL's query: ?case=<name>. Each must fail before threads start.
import os from 'node:os';
import path from 'node:path';
import { collectSink, defineJob, fileSink, jsonLines } from '../../../../core/index.js';

const which = new URL(import.meta.url).searchParams.get('case');

export default defineJob((env) => {
  const src = env.fromCollection([1, 2, 3]).name('numbers');
  switch (which) {
    case 'parallelism':
      src.map((x) => x * 2).name('double').setParallelism(0).discard();
      break;
    case 'no-sink':
      src.map((x) => x * 2).name('dangling');
      src.discard();
      break;
    case 'source-only':
      break;
    case 'keyed-without-keyby': {
      // Through the typed API a keyed operation needs keyBy; a plain-JS user can still wire one by hand.
      const n = env.graph.add({ kind: 'reduce', name: 'sum-all', inputs: [{ from: src.node.id, partitioner: 'forward' }], fn: (a: number, b: number) => a + b });
      env.graph.add({ kind: 'sink', name: 'out', inputs: [{ from: n.id, partitioner: 'forward' }], sink: { kind: 'discard', fingerprint: 'discard', createWriter: () => ({ write() {}, finish: () => undefined }) } });
      break;
    }
    case 'reduce-without-keyby':
      // What a JavaScript job can write (the types refuse it): it got "reduce is not a function".
      (src.map((x) => x).name('plain') as unknown as { reduce(f: (a: number, b: number) => number): { discard(): void } }).reduce((a, b) => a + b).discard();
      break;
    case 'window-without-keyby':
      (src as unknown as { window(a: unknown): unknown }).window(undefined);
      break;
    case 'window-all-parallel':
      src.countWindowAll(2).reduce((a, b) => a + b).name('pairs').setParallelism(2).discard();
      break;
    case 'file-sinks-one-dir': {
      // Regression (a user trial): the second sink's recovery deleted the first's open part; every resume then failed.
      const dir = path.join(os.tmpdir(), 'sluice-refused-before-any-write');
      src.sink(fileSink({ dir, format: jsonLines<number>() })).name('first');
      src.map((x) => x * 2).name('doubled').sink(fileSink({ dir: `${dir}/.`, format: jsonLines<number>() })).name('second');
      // Another prefix in the same directory is a sink of its own.
      src.sink(fileSink({ dir, format: jsonLines<number>(), prefix: 'other' })).name('third');
      break;
    }
    case 'cycle': {
      // Node 1 reads node 2, node 2 reads node 1.
      const a = env.graph.add({ kind: 'map', name: 'loop-a', inputs: [{ from: 2, partitioner: 'forward' }], fn: (x: number) => x });
      env.graph.add({ kind: 'map', name: 'loop-b', inputs: [{ from: a.id, partitioner: 'forward' }], fn: (x: number) => x });
      src.discard();
      break;
    }
    case 'duplicate-name':
      src.map((x) => x).name('same').discard();
      src.map((x) => x).name('same').discard();
      break;
    case 'shared-sink': {
      // Both sinks got both streams.
      const out = collectSink<number>();
      src.map((x) => x).name('m1').sink(out).name('o1');
      src.map((x) => -x).name('m2').sink(out).name('o2');
      break;
    }
  }
});
