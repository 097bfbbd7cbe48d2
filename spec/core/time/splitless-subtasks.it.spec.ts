// Source subtasks that hold no split (more subtasks than splits), with an event-time window downstream and a
// watermark strategy without withIdleness: they must not hold event time back. They never emitted a watermark,
// so the window's watermark (the minimum over its inputs) stood still and no window fired: a discovering file
// source (a subtask is given a file only when one of its own appears), and a source of your own whose reader,
// given no split, waits for good. The file source not discovering ends such a subtask (its final watermark lets
// go). A file found later by an idle subtask is read under the job's event time: its records behind it are late
// (the late output), the rest go to their windows. Restored at another parallelism, as before.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, type JobHandle, type RunOptions } from '../../../core/index.js';
import type { Ev, Out } from './jobs/split-watermarks.js';
import { windowOracle } from './split-windows.js';
import { fileOwner } from '../../../core/connectors/file/file-discovery.js';
import { fileKey } from '../../../core/connectors/file/file-identity.js';

const T0 = 1_700_000_000_000;
/** The first records' files end with a record here: event time moves to just below it. */
const MID = T0 + 10_000;
const END = T0 + 1e9;
const N = 50;
/** A job that stalls is cancelled: its output then ends short of what the test waits for. */
const STALL_MS = 20_000;

const line = (e: Ev): string => `${JSON.stringify(e)}\n`;
/** n records of split s, 100 ms of event time apart from `from`. */
const records = (s: string, n: number, from: number): Ev[] => Array.from({ length: n }, (_, i) => ({ s, i, ts: from + 100 * i }));

/** The job's output, read on as far as each step needs. */
class Output {
  readonly windows = new Map<string, number>();
  readonly late: Ev[] = [];
  seen = 0;
  private readonly it: AsyncIterator<Out>;
  constructor(h: JobHandle<{ out: Out[] }>) {
    this.it = h.output('out')[Symbol.asyncIterator]();
  }

  /** Reads until `total` records are in fired windows or late (false: the output ended first). */
  async until(total: number): Promise<boolean> {
    return this.untilTrue(() => this.seen >= total);
  }

  /** Reads until `done()` (false: the output ended first). */
  async untilTrue(done: () => boolean): Promise<boolean> {
    while (!done()) {
      const r = await this.it.next();
      if (r.done === true) return false;
      const o = r.value;
      if (o.kind === 'late') {
        this.late.push({ s: o.s, i: o.i, ts: o.ts });
        this.seen++;
      } else {
        const k = `${o.s}@${o.start}`;
        assert.equal(this.windows.has(k), false, `window ${k} fired once`);
        this.windows.set(k, o.count);
        this.seen += o.count;
      }
    }
    return true;
  }
}

/** jobs/split-watermarks.ts over the files `dir/*.jsonl` (discovering, those made later too). */
function filesJob(dir: string, params: Record<string, string>): URL {
  const u = new URL('./jobs/split-watermarks.ts', import.meta.url);
  u.searchParams.set('files', path.join(dir, '*.jsonl'));
  u.searchParams.set('mode', 'subtask');
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u;
}

/** The subtask of `parallelism` that reads `file` when discovering (a hash of its device and inode). */
const ownerAt = (file: string, parallelism: number): number => {
  const st = statSync(file, { bigint: true });
  return fileOwner(fileKey({ dev: st.dev.toString(), ino: st.ino.toString() }), parallelism);
};

async function start(url: URL, options: RunOptions): Promise<{ h: JobHandle<{ out: Out[] }>; out: Output }> {
  const h = await run<{ out: Out[] }>(url, { ...options, signal: AbortSignal.timeout(STALL_MS) });
  return { h, out: new Output(h) };
}

/** Files a and b in a new directory: N records each, then one at MID. */
function firstFiles(): { dir: string; evs: Ev[] } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-splitless-'));
  const evs: Ev[] = [];
  for (const s of ['a', 'b']) {
    const own = records(s, N, T0);
    evs.push(...own);
    writeFileSync(path.join(dir, `${s}.jsonl`), [...own, { s, i: N, ts: MID, end: true } satisfies Ev].map(line).join(''));
  }
  return { dir, evs };
}

for (const discover of [false, true]) {
  test(`fromFiles following 2 files at parallelism 4${discover ? ', discovering' : ''}, no withIdleness: the subtasks with no file hold no window back`, { timeout: 60_000 }, async () => {
    const { dir, evs } = firstFiles();
    try {
      const { h, out } = await start(filesJob(dir, { p: '4', ...(discover ? { discover: '20' } : {}) }), {});
      try {
        assert.ok(await out.until(evs.length), `every record's window fired (${out.seen} of ${evs.length} before the job was cancelled)`);
        assert.deepEqual([...out.windows].sort(), [...windowOracle(evs, 1000)].sort());
        assert.equal(out.late.length, 0);
      } finally {
        await h.cancel();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('a source of your own with 2 splits at parallelism 4, whose reader given none waits for good: no window is held back', { timeout: 60_000 }, async () => {
  const { h, out } = await start(new URL('./jobs/splitless-custom.ts?splits=2&n=50&p=4', import.meta.url), {});
  try {
    const evs = ['s0', 's1'].flatMap((s) => records(s, 50, T0));
    assert.ok(await out.until(evs.length), `every record's window fired (${out.seen} of ${evs.length} before the job was cancelled)`);
    assert.deepEqual([...out.windows].sort(), [...windowOracle(evs, 1000)].sort());
  } finally {
    await h.cancel();
  }
});

test('discovering: a file found after event time moved on has its records behind it late (the late output), the rest in their windows', { timeout: 60_000 }, async () => {
  const { dir, evs } = firstFiles();
  try {
    const { h, out } = await start(filesJob(dir, { p: '4', discover: '20' }), {});
    try {
      assert.ok(await out.until(evs.length), `the first files' windows fired (${out.seen} of ${evs.length})`);
      // c: records ahead of event time first, then records behind it, then its end. Once the ones behind are out
      // (late), those ahead have reached the windows before them, and a and b may end too.
      const ahead = records('c', 10, MID + 1000);
      const behind = records('c', 10, T0).map((e) => ({ ...e, i: e.i + 10 }));
      writeFileSync(path.join(dir, 'c.jsonl'), [...ahead, ...behind, { s: 'c', i: 20, ts: END, end: true } satisfies Ev].map(line).join(''));
      // (c's windows may fire first: where one subtask reads a, b and c, c's end moves event time.)
      assert.ok(await out.untilTrue(() => out.late.length >= behind.length), `c's records behind event time are late (${out.late.length} of ${behind.length})`);
      assert.deepEqual(out.late.sort((x, y) => x.i - y.i), behind);
      for (const s of ['a', 'b']) appendFileSync(path.join(dir, `${s}.jsonl`), line({ s, i: N + 1, ts: END, end: true }));
      assert.ok(await out.until(evs.length + ahead.length + behind.length), `c's records ahead of event time fired (${out.seen} seen)`);
      assert.deepEqual([...out.windows].sort(), [...windowOracle([...evs, ...ahead], 1000)].sort());
    } finally {
      await h.cancel();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('discovering: a savepoint at parallelism 4 resumed at 3 (a subtask still with no file) fires the windows of the records added meanwhile, none late', { timeout: 90_000 }, async () => {
  const { dir, evs } = firstFiles();
  try {
    const stateDir = path.join(dir, 'state');
    const url = filesJob(dir, { p: '4', discover: '20' });
    const first = await start(url, { stateDir, checkpointIntervalMs: 50 });
    assert.ok(await first.out.until(evs.length), `the first files' windows fired (${first.out.seen} of ${evs.length})`);
    await first.h.stopWithSavepoint('sp');
    await first.h.result;
    const added = ['a', 'b'].flatMap((s) => records(s, 10, MID + 1000).map((e) => ({ ...e, i: e.i + N + 1 })));
    for (const s of ['a', 'b']) appendFileSync(path.join(dir, `${s}.jsonl`), [...added.filter((e) => e.s === s), { s, i: N + 20, ts: END, end: true } satisfies Ev].map(line).join(''));
    url.searchParams.set('p', '3');
    const second = await start(url, { stateDir, checkpointIntervalMs: 50, resume: { savepoint: 'sp' } });
    try {
      const expected = windowOracle(added, 1000);
      assert.ok(await second.out.untilTrue(() => [...expected.keys()].every((k) => second.out.windows.has(k))), `the added records' windows fired (${JSON.stringify([...second.out.windows])})`);
      // The resumed run's output starts with the savepoint's own transaction again (as on any resume): windows of
      // the first run's, those fired after the checkpoint before it.
      const again = [...second.out.windows].filter(([k]) => !expected.has(k));
      assert.deepEqual(again.filter(([k, n]) => first.out.windows.get(k) !== n), [], 'the rest fired in the first run');
      assert.deepEqual([...second.out.windows].filter(([k]) => expected.has(k)).sort(), [...expected].sort());
      assert.equal(second.out.late.length, 0);
    } finally {
      await second.h.cancel();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('discovering: a subtask whose one file was deleted while the other reads on holds no window back', { timeout: 60_000 }, async () => {
  const { dir, evs } = firstFiles();
  try {
    // b read by the subtask that does not read a (made again until so: its owner is a hash of its inode).
    const [a, b] = ['a', 'b'].map((s) => path.join(dir, `${s}.jsonl`)) as [string, string];
    // The old one is kept under a name the pattern does not match, so that the new one has another inode.
    for (let k = 0; ownerAt(b, 2) === ownerAt(a, 2); k++) {
      assert.ok(k < 64, 'a file for the other subtask');
      const content = readFileSync(b);
      renameSync(b, `${b}.${k}`);
      writeFileSync(b, content);
    }
    let deleted!: () => void;
    const deletion = new Promise<void>((r) => { deleted = r; });
    const { h, out } = await start(filesJob(dir, { p: '2', discover: '20' }), { onWarning: (m) => { if (m.includes('was deleted while it was followed')) deleted(); } });
    try {
      assert.ok(await out.until(evs.length), `the first files' windows fired (${out.seen} of ${evs.length})`);
      unlinkSync(a);
      await deletion;
      const ahead = records('b', 10, MID + 1000).map((e) => ({ ...e, i: e.i + N + 1 }));
      appendFileSync(b, [...ahead, { s: 'b', i: N + 20, ts: END, end: true } satisfies Ev].map(line).join(''));
      assert.ok(await out.until(evs.length + ahead.length), `b's later records' windows fired (${out.seen - evs.length} of ${ahead.length})`);
      assert.deepEqual([...out.windows].sort(), [...windowOracle([...evs, ...ahead], 1000)].sort());
      assert.equal(out.late.length, 0);
    } finally {
      await h.cancel();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
