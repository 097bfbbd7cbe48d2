// A source whose service is down for its first `fails` split listings: enumerateSplits appends a line to the file
// `calls` each time it runs (main thread) and throws a connection error while the file has no more than `fails`
// lines; with `definition` it throws a ConnectorOptionError instead (the job's configuration is wrong). Records
// 0 .. count-1, into a collect sink 'out'. Parameters in the query string: calls, fails, count, definition.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { ConnectorOptionError, defineJob, SOURCE_END, SOURCE_MORE, type SourceSpec } from '../../../../core/index.js';

const q = new URL(import.meta.url).searchParams;
const calls = q.get('calls')!;
const fails = Number(q.get('fails') ?? 0);
const count = Number(q.get('count') ?? 100);

const source: SourceSpec<number> = {
  kind: 'test-down-at-launch', fingerprint: `test-down-at-launch(${count})`, maxParallelism: 2, bounded: true, rewindable: true,
  enumerateSplits(p) {
    appendFileSync(calls, 'call\n');
    if (q.get('definition') !== null) throw new ConnectorOptionError('test source: no such table');
    const made = existsSync(calls) ? readFileSync(calls, 'utf8').split('\n').length - 1 : 0;
    if (made <= fails) throw Object.assign(new Error(`connect ECONNREFUSED (listing ${made} of ${fails} that fail)`), { code: 'ECONNREFUSED' });
    return Array.from({ length: p }, (_, i) => ({ id: `s${i}`, position: { next: Math.floor((i * count) / p), end: Math.floor(((i + 1) * count) / p) } }));
  },
  createReader(_subtask, _parallelism, splits) {
    const todo = splits.map((s) => ({ id: s.id, ...(s.position as { next: number; end: number }) }));
    return {
      read(emit, max) {
        const s = todo.find((t) => t.next < t.end);
        if (!s) return SOURCE_END;
        for (let k = 0; k < max && s.next < s.end; k++) emit(s.next++);
        return SOURCE_MORE;
      },
      ready: () => Promise.resolve(),
      snapshot: () => todo.filter((t) => t.next < t.end).map(({ id, next, end }) => ({ id, position: { next, end } })),
    };
  },
};

export default defineJob((env) => {
  env.fromSource(source).name('numbers').uid('numbers').collect().name('out');
});
