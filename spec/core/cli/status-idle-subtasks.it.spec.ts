// `sluice status` of a running job whose source has more subtasks than files (a discovering file source, followed):
// the subtasks with no file are idle and hold no event time back, so the source task's watermark is its reading
// subtask's and the idle ones are counted (`idle 2/3`); the metrics flag them (TaskMetrics.watermarkIdle, the
// `sluice_task_watermark_idle` gauge). A file that appears for an idle subtask makes it active again.
//
// The job's input files are what drive it; its output says how far it got. Only the metrics buffer, which its
// threads publish every 100 ms, is read until it shows what the output already proved.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jobRegistry, run, type JobHandle } from '../../../core/index.js';
import { requestControl, serveControl } from '../../../core/runtime/control-server.js';
import { statusReport, statusText, type StatusReport } from '../../../core/cli/status-command.js';
import { fileOwner } from '../../../core/connectors/file/file-discovery.js';
import { fileKey } from '../../../core/connectors/file/file-identity.js';
import type { Ev, Out } from '../time/jobs/split-watermarks.js';

const T0 = 1_700_000_000_000;
const N = 20;
const P = 3;
const line = (e: Ev): string => `${JSON.stringify(e)}\n`;

/** The subtask of `P` that reads `file` when discovering (a hash of its device and inode). */
const ownerOf = (file: string): number => {
  const st = statSync(file, { bigint: true });
  return fileOwner(fileKey({ dev: st.dev.toString(), ino: st.ino.toString() }), P);
};

/**
 * The job's status, asked through its control socket until `ok` holds (the metrics it shows lag up to 100 ms).
 * Polled, as no signal of the job can stand in: a status reply reads the metrics buffer, which each thread writes
 * with plain stores on its own loop's clock (every 100 ms it turns, and at its end), and tells nobody. The output,
 * or a marker file a sink writes, comes from another thread than the source's and is ordered before that thread's
 * next publish by time alone, so a single reply after it may still show the watermark before; and a file that
 * makes a subtask active again yields no output at all (its record's window does not fire). The 20 ms between
 * requests orders nothing: it only spaces them; what is asserted is what a reply shows.
 */
async function statusUntil(stateDir: string, what: string, ok: (r: StatusReport) => boolean): Promise<StatusReport> {
  const end = performance.now() + 30_000;
  for (;;) {
    const a = await requestControl(stateDir, { op: 'status' }, 10_000);
    assert.ok('status' in a, JSON.stringify(a));
    const r = statusReport(a.status);
    if (ok(r)) return r;
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(r.tasks)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// Regression: the source task's watermark read '-' (none) while a subtask of it had no file, though that subtask
// held nothing back: status took the minimum over every subtask.
test(`status of a file source followed over 1 file at parallelism ${P}: the watermark is the reading subtask's, and ${P - 1} of ${P} are idle`, { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-status-idle-'));
  const stateDir = path.join(dir, 'state');
  const input = path.join(dir, 'in');
  let h: JobHandle<{ out: Out[] }> | undefined;
  try {
    mkdirSync(input);
    // a: N records, 100 ms of event time apart, then its end marker at MID: event time moves to MID - 1.
    const MID = T0 + 10_000;
    writeFileSync(path.join(input, 'a.jsonl'), [...Array.from({ length: N }, (_, i): Ev => ({ s: 'a', i, ts: T0 + 100 * i })), { s: 'a', i: N, ts: MID, end: true } satisfies Ev].map(line).join(''));
    const url = new URL('../time/jobs/split-watermarks.ts', import.meta.url);
    for (const [k, v] of Object.entries({ files: path.join(input, '*.jsonl'), mode: 'subtask', p: String(P), discover: '20' })) url.searchParams.set(k, v);
    // The collect sink publishes at checkpoints (a state directory turns them on).
    h = await run<{ out: Out[] }>(url, { stateDir, checkpointIntervalMs: 50, signal: AbortSignal.timeout(80_000) });
    const job = h;
    const server = await serveControl(job);
    try {
      // Every window of a fired: event time passed them, which the subtasks with no file allow only once idle.
      const it = job.output('out')[Symbol.asyncIterator]();
      let counted = 0;
      while (counted < N) {
        const r = await it.next();
        assert.notEqual(r.done, true, `the output ended after ${counted} of ${N} records' windows`);
        if (r.value.kind === 'window') counted += r.value.count;
      }
      const sourceTask = (r: StatusReport) => r.tasks.find((t) => t.operators.includes('read'))!;
      const countTask = (r: StatusReport) => r.tasks.find((t) => t.operators.includes('count'))!;
      // The windows' task too: its thread publishes its metrics on its own clock.
      const first = await statusUntil(stateDir, `the source and window tasks' watermarks at ${MID - 1}`, (r) => sourceTask(r).watermark === MID - 1 && countTask(r).watermark === MID - 1);
      assert.deepEqual([sourceTask(first).idleSubtasks, countTask(first).idleSubtasks], [P - 1, 0]);
      assert.ok(sourceTask(first).watermarkLagMs !== null && sourceTask(first).watermarkLagMs! > 0, 'a wall-clock watermark has a lag');
      const text = statusText(first);
      const taskRows = text.split('\n').slice(text.split('\n').findIndex((l) => /^ {2}task +parallelism /.test(l)));
      assert.match(taskRows[0]!, / idle +watermark +watermark lag$/, text);
      const row = (task: string) => taskRows.find((l) => l.startsWith(`  ${task} `)) ?? '';
      assert.match(row(sourceTask(first).task), new RegExp(` ${P - 1}/${P} +${new Date(MID - 1).toISOString()} +\\S+$`), text);
      // The windows' task has no idle subtask: '-' in the idle column.
      assert.match(row(countTask(first).task), new RegExp(` - +${new Date(MID - 1).toISOString()} +\\S+$`), text);

      // The metrics flag the subtasks with no file, and only those.
      const flags = job.metrics().tasks.filter((t) => t.task === sourceTask(first).task);
      const reading = ownerOf(path.join(input, 'a.jsonl'));
      assert.deepEqual(flags.map((t) => [t.subtask, t.watermarkIdle]), Array.from({ length: P }, (_, s) => [s, s !== reading]));
      const prom = await jobRegistry(job, 'idle').registry.metrics();
      const gauges = prom.split('\n').filter((l) => l.startsWith('sluice_task_watermark_idle{') && l.includes(`task="${sourceTask(first).task}"`));
      assert.deepEqual(gauges.map((l) => [/subtask="(\d+)"/.exec(l)![1], l.split(' ').at(-1)]).sort(), Array.from({ length: P }, (_, s) => [String(s), s === reading ? '0' : '1']));

      // b, for a subtask that had none (made again until its inode hashes there): that subtask is active again.
      const b = path.join(dir, 'b.jsonl');
      writeFileSync(b, [{ s: 'b', i: 0, ts: MID + 1000 } satisfies Ev].map(line).join(''));
      for (let k = 0; ownerOf(b) === reading; k++) {
        assert.ok(k < 64, 'a file for another subtask');
        const content = readFileSync(b);
        renameSync(b, `${b}.${k}`);
        writeFileSync(b, content);
      }
      renameSync(b, path.join(input, 'b.jsonl'));
      const second = await statusUntil(stateDir, `${P - 2} idle subtasks`, (r) => sourceTask(r).idleSubtasks === P - 2);
      assert.ok(sourceTask(second).watermark === null || sourceTask(second).watermark! >= MID - 1, `watermark ${sourceTask(second).watermark}`);
      assert.match(statusText(second), new RegExp(` ${P - 2}/${P} `));
    } finally {
      await server.close();
    }
  } finally {
    await h?.cancel().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
});
