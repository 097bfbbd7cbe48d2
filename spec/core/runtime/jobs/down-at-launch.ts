// A source whose service is down for its first `fails` split listings: enumerateSplits appends a line to the file
// `calls` each time it runs (main thread) and throws a connection error while the file has no more than `fails`
// lines; with `definition` it throws a ConnectorOptionError instead (the job's configuration is wrong). Records
// 0 .. count-1, into a collect sink 'out'. Parameters in the query string: calls, fails, count, definition. With
// `restores` (a file) and `restoreFails`: restoreSplits (a resume) does the same with its own file. With `hold`: the
// source does not end after its records (a job to cancel).
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { ConnectorOptionError, defineJob, SOURCE_END, SOURCE_MORE, SOURCE_WAIT, type SourceSpec, type SourceSplit } from '../../../../core/index.js';

const q = new URL(import.meta.url).searchParams;
const calls = q.get('calls')!;
const fails = Number(q.get('fails') ?? 0);
const count = Number(q.get('count') ?? 100);
const restores = q.get('restores');
const restoreFails = Number(q.get('restoreFails') ?? 0);
const hold = q.get('hold') !== null;

/** Appends a line to `file` and says how many it has now. */
function called(file: string): number {
  appendFileSync(file, 'call\n');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').length - 1 : 0;
}

const source: SourceSpec<number> = {
  kind: 'test-down-at-launch', fingerprint: `test-down-at-launch(${count})`, maxParallelism: 2, bounded: true, rewindable: true,
  enumerateSplits(p) {
    const made = called(calls);
    if (q.get('definition') !== null) throw new ConnectorOptionError('test source: no such table');
    if (made <= fails) throw Object.assign(new Error(`connect ECONNREFUSED (listing ${made} of ${fails} that fail)`), { code: 'ECONNREFUSED' });
    return Array.from({ length: p }, (_, i) => ({ id: `s${i}`, position: { next: Math.floor((i * count) / p), end: Math.floor(((i + 1) * count) / p) } }));
  },
  ...(restores !== null ? {
    restoreSplits(restored: readonly SourceSplit[]) {
      const made = called(restores);
      if (made <= restoreFails) throw Object.assign(new Error(`scandir EACCES (listing ${made} of ${restoreFails} that fail)`), { code: 'EACCES' });
      return { splits: [...restored] };
    },
  } : {}),
  createReader(_subtask, _parallelism, splits) {
    const todo = splits.map((s) => ({ id: s.id, ...(s.position as { next: number; end: number }) }));
    return {
      read(emit, max) {
        const s = todo.find((t) => t.next < t.end);
        if (!s) return hold ? SOURCE_WAIT : SOURCE_END;
        for (let k = 0; k < max && s.next < s.end; k++) emit(s.next++);
        return SOURCE_MORE;
      },
      // Held: the task loop looks again now and then (a cancel ends it).
      ready: () => new Promise((r) => setTimeout(r, 5)),
      snapshot: () => todo.filter((t) => t.next < t.end).map(({ id, next, end }) => ({ id, position: { next, end } })),
    };
  },
};

export default defineJob((env) => {
  env.fromSource(source).name('numbers').uid('numbers').collect().name('out');
});
