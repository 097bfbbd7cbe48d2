// Checkpoints under the conditions that break them: many input channels with barriers at random positions,
// backpressure from a slow sink (unaligned mode), timeouts; savepoints restored into a changed job; a source
// that cannot rewind.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../../core/index.js';
import { CheckpointStore } from '../../../core/checkpoint/store.js';
import { brokenCounts, readLedger, tally } from './ledger.js';
import type { Update } from './jobs/exactly-once.ts';
import { SOURCES, SPAN } from './jobs/many-inputs.js';
import { contiguous } from './jobs/until-marker.js';

function url(file: string, params: Record<string, string | number>): URL {
  const u = new URL(`./jobs/${file}`, import.meta.url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, String(v));
  return u;
}

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'sluice-cp-'));
}

for (const mode of ['aligned', 'unaligned'] as const) {
  test(`many inputs, barriers at random positions (${mode}): no deadlock, every checkpoint once, exactly-once output`, async () => {
    const dir = tmp();
    try {
      const ledger = path.join(dir, 'ledger');
      const marker = path.join(dir, 'stop');
      // Five checkpoints, then the sources end.
      let completed = 0;
      const kinds: string[] = [];
      const h = await run(url('many-inputs.ts', { keys: 300, interval: 5, ledger, mode, marker }), {
        parallelism: 3, stateDir: path.join(dir, 'state'), onWarning: () => {},
        onCheckpoint: (c) => { kinds.push(c.kind); if (++completed === 5) writeFileSync(marker, ''); },
      });
      const r = await h.result;
      const ids = r.checkpoints.completed.map((c) => c.id);
      // The final one (end of input) is reported like the others: it is what a resume would load (regression:
      // the summary ended one before it).
      assert.equal(r.checkpoints.completed.at(-1)?.kind, 'final');
      assert.equal(kinds.at(-1), 'final');
      assert.ok(ids.length >= 5, `checkpoints completed: ${ids.join(', ')} (aborted: ${r.checkpoints.aborted.map((a) => `${a.id} ${a.reason}`).join('; ')})`);
      assert.deepEqual(ids, [...new Set(ids)].sort((a, b) => a - b), 'each checkpoint completed once, in order');
      assert.ok(!r.checkpoints.aborted.some((a) => ids.includes(a.id)), 'no checkpoint both completed and aborted');
      const updates = readLedger<Update>(ledger);
      const all = updates.map((u) => u.i);
      for (const s of SOURCES) {
        const c = contiguous(all, s.offset, SPAN, 3);
        assert.deepEqual({ lost: c.lost, duplicated: c.duplicated }, { lost: 0, duplicated: 0 }, `source at ${s.offset}: ${c.count} records`);
        assert.ok(c.count > 0, `source at ${s.offset} delivered records`);
      }
      assert.deepEqual(brokenCounts(updates), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

// Regression (a user trial): a state directory alone turned checkpointing on with no interval, so a killed run had no
// checkpoint to resume from, and nothing said so until the resume found none.
test('a state directory with no checkpoint interval warns that checkpoints come only on request, a resume that found no checkpoint too; an interval from the run or the job does not', async () => {
  const dir = tmp();
  try {
    const warned = async (interval: number, options: { checkpointIntervalMs?: number; resume?: boolean }): Promise<string[]> => {
      const ws: string[] = [];
      const job = url('exactly-once.ts', { n: 200, keys: 10, rate: 0, interval });
      await (await run(job, { parallelism: 1, stateDir: path.join(dir, `state-${interval}-${options.checkpointIntervalMs ?? 0}${options.resume ? '-resume' : ''}`), ...options, onWarning: (w) => ws.push(String(w)) })).result;
      return ws.filter((w) => /no checkpoint interval/.test(w));
    };
    const none = await warned(0, {});
    assert.equal(none.length, 1);
    assert.match(none[0]!, /checkpointing into .*state-0-0 with no checkpoint interval: checkpoints are taken only on request .*checkpointIntervalMs \(--checkpoint-interval\) or call enableCheckpointing\(ms\)/);
    // A script that always passes --resume starts fresh where there is no checkpoint yet: the same warning.
    assert.equal((await warned(0, { resume: true })).length, 1, 'a resume that found no checkpoint');
    assert.deepEqual(await warned(0, { checkpointIntervalMs: 50 }), [], 'the run gives an interval');
    assert.deepEqual(await warned(50, {}), [], 'the job enables checkpointing');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Restores replay an unaligned checkpoint's in-flight records before the channels (workers/subtask.ts): here the
// sink's thread dies mid-run under backpressure, and the job resumes from such a checkpoint.
test('a slow sink whose thread dies: the job resumes from an unaligned checkpoint with in-flight records, exactly once', async () => {
  const dir = tmp();
  try {
    const ledger = path.join(dir, 'ledger');
    const stateDir = path.join(dir, 'state');
    let inFlightBytes = 0;
    const h = await run(url('slow-sink.ts', { n: 60_000, interval: 30, mode: 'unaligned', ledger, everyN: 40, failAt: 30_000, marker: path.join(dir, 'marker') }), {
      parallelism: 2, stateDir, ringBytes: 64 * 1024, onWarning: () => {},
      restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 0 },
    });
    const r = await h.result;
    assert.equal(r.restarts, 1);
    const store = await CheckpointStore.open(stateDir);
    for await (const e of store.entries('f/')) inFlightBytes = Math.max(inFlightBytes, e.bytes);
    await store.close();
    assert.ok(inFlightBytes > 0, 'checkpoints held in-flight records');
    const updates = readLedger<Update>(ledger);
    assert.deepEqual(tally(updates.map((u) => u.i), 60_000), { lost: 0, duplicated: 0, unexpected: 0 });
    assert.deepEqual(brokenCounts(updates), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a slow sink: the producer parks, unaligned checkpoints still complete, in-flight state stays within the rings', async () => {
  const dir = tmp();
  try {
    const ledger = path.join(dir, 'ledger');
    const stateDir = path.join(dir, 'state');
    const ringBytes = 64 * 1024;
    let inFlightBytes = 0;
    const h = await run(url('slow-sink.ts', { n: 60_000, interval: 30, mode: 'unaligned', ledger, everyN: 40 }), {
      parallelism: 2, stateDir, ringBytes, onWarning: () => {},
      onCheckpoint: () => { /* counted in the result */ },
    });
    const r = await h.result;
    assert.ok(r.checkpoints.completed.length >= 3, `checkpoints completed under backpressure: ${r.checkpoints.completed.length}`);
    const producers = r.metrics.tasks.filter((t) => t.task !== 'slow-out');
    assert.ok(producers.some((t) => t.backpressuredMs > 0), `the producers were backpressured: ${JSON.stringify(producers)}`);
    const store = await CheckpointStore.open(stateDir);
    for await (const e of store.entries('f/')) inFlightBytes = Math.max(inFlightBytes, e.bytes);
    await store.close();
    // In-flight records of one subtask are at most what its input rings held (2 channels x 64 KiB), re-encoded.
    assert.ok(inFlightBytes <= 4 * ringBytes, `in-flight state of one subtask: ${inFlightBytes} bytes`);
    const updates = readLedger<Update>(ledger);
    assert.deepEqual(tally(updates.map((u) => u.i), 60_000), { lost: 0, duplicated: 0, unexpected: 0 });
    assert.deepEqual(brokenCounts(updates), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: a run that did not resume, in a state directory where an earlier run had
// published sink output, published it all again without a word (--resume refuses that; a plain run said nothing).
test('a run that starts over where an earlier run published output warns that it publishes those records again (not for collect sinks)', async () => {
  const dir = tmp();
  try {
    const stateDir = path.join(dir, 'state');
    const job = url('exactly-once.ts', { n: 2000, keys: 10, rate: 0, interval: 20, ledger: path.join(dir, 'ledger') });
    const first: string[] = [];
    await (await run(job, { parallelism: 1, stateDir, onWarning: (w) => first.push(String(w)) })).result;
    assert.deepEqual(first.filter((w) => /starts over/.test(w)), [], 'a fresh directory: nothing to say');
    const second: string[] = [];
    await (await run(job, { parallelism: 1, stateDir, onWarning: (w) => second.push(String(w)) })).result;
    assert.match(second.join('\n'), /holds sink output an earlier run published \(up to its checkpoint \d+\), and this run starts over without resuming: its sinks publish those records again/);
    // Records a collect sink handed back to the caller are not published output (regression: a job that published
    // nothing was warned about): nothing to say on a second run.
    const collectDir = path.join(dir, 'collect-state');
    const collecting = url('exactly-once.ts', { n: 2000, keys: 10, rate: 0, interval: 20 });
    await (await run(collecting, { parallelism: 1, stateDir: collectDir, onWarning: () => {} })).result;
    const again: string[] = [];
    await (await run(collecting, { parallelism: 1, stateDir: collectDir, onWarning: (w) => again.push(String(w)) })).result;
    assert.deepEqual(again.filter((w) => /starts over/.test(w)), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
