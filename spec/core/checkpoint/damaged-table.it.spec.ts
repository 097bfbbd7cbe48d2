// Regression (review r1): damage to a LevelDB table of a job's state directory was met by LevelDB itself: an index
// block whose entries were zeroed stopped `sluice run --resume` in LevelDB's assertion (`Assertion ... failed`,
// SIGABRT, exit 134) naming nothing; one zeroed whole read as an empty table, and the resume started over without a
// word. The table check before the store opens makes both a StateDirError naming the table and the block: exit 1,
// one plain line. With the check turned off (SLUICE_CHECK_STATE_TABLES=0, checkStateTables: false) LevelDB still
// does what it did.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../../core/index.js';
import { CheckpointStore } from '../../../core/checkpoint/store.js';
import { SluiceProcess } from '../cli/sluice-process.js';
import { indexBlock, tableFiles } from './fixtures/leveldb-tables.js';

const job = new URL('../cli/jobs/ticking.ts', import.meta.url);

const escaped = (t: string): string => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('resume from a state directory with a damaged index block: StateDirError naming the table, exit 1; with the check off, LevelDB aborts or starts over silently', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-damaged-table-'));
  const copy = `${dir}-copy`;
  try {
    const first = await run(job, { parallelism: 2, stateDir: dir, checkpointIntervalMs: 600_000, onWarning: () => {} });
    await first.checkpoint();
    const last = await first.checkpoint();
    await first.cancel();
    // The next open turns LevelDB's log of those checkpoints into a table, as a resume's open does.
    await (await CheckpointStore.open(dir)).close();
    const [table] = tableFiles(dir);
    assert.ok(table !== undefined, 'a table holds the checkpoints');
    const intact = readFileSync(table);
    const index = indexBlock(table);
    const expected = `state directory ${dir} is damaged: LevelDB table ${table} has a bad block CRC at offset ${index.offset} (index block of ${index.size} bytes). Resume from a copy made before the damage, or start over in a new state directory`;
    const args = ['run', fileURLToPath(job), '-p', '2', '--state-dir', dir, '--resume'];

    // The index block zeroed whole.
    writeFileSync(table, Buffer.from(intact).fill(0, index.offset, index.offset + index.size));
    await assert.rejects(run(job, { parallelism: 2, stateDir: dir, resume: true, onWarning: () => {} }), (e: Error) => e.name === 'StateDirError' && e.message === expected);
    const refused = await new SluiceProcess(args, 120_000).exited;
    assert.deepEqual([refused.code, refused.signal], [1, null], refused.stderr);
    assert.ok(refused.stderr.includes(expected), refused.stderr);
    // Unchecked (in a copy: a run that starts over changes the directory), LevelDB reads no key from it.
    cpSync(dir, copy, { recursive: true });
    const unchecked = await run(job, { parallelism: 2, stateDir: copy, resume: true, checkStateTables: false, onWarning: () => {} });
    assert.equal((await unchecked.cancel()).restoredFrom, undefined);

    // Its entries zeroed, its restart points left.
    const restarts = intact.readUInt32LE(index.offset + index.size - 4);
    writeFileSync(table, Buffer.from(intact).fill(0, index.offset, index.offset + index.size - 4 * (restarts + 1)));
    const refusedAgain = await new SluiceProcess(args, 120_000).exited;
    assert.deepEqual([refusedAgain.code, refusedAgain.signal], [1, null], refusedAgain.stderr);
    assert.ok(refusedAgain.stderr.includes(expected), refusedAgain.stderr);
    assert.doesNotMatch(refusedAgain.stderr, /Assertion/);
    const aborted = await new SluiceProcess(args, 120_000, { SLUICE_CHECK_STATE_TABLES: '0' }).exited;
    assert.deepEqual([aborted.code, aborted.signal], [null, 'SIGABRT'], aborted.stderr);
    assert.match(aborted.stderr, /Assertion .* failed/);
    assert.doesNotMatch(aborted.stderr, new RegExp(escaped(dir)));

    // Mended, the same resume restores the newest checkpoint.
    writeFileSync(table, intact);
    const resumed = await run(job, { parallelism: 2, stateDir: dir, resume: true, onWarning: () => {} });
    assert.equal((await resumed.cancel()).restoredFrom, last.id);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(copy, { recursive: true, force: true });
  }
});
