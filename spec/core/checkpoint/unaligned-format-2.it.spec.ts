// An unaligned checkpoint written before channel times (manifest format 2: no Manifest.channelTimes, no watermarks
// among its in-flight records) still restores, as it did: its in-flight records are replayed at the watermark of
// the snapshot. The fixture is such a checkpoint of jobs/late-in-flight.ts, written by sluice 9354c6c (its store
// entries, PUBLISHED mark and ledger: fixtures/unaligned-format-2.json).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Packr } from 'msgpackr';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../../core/index.js';
import { CheckpointStore } from '../../../core/checkpoint/store.js';
import type { InFlightRecord } from '../../../core/checkpoint/messages.js';
import { readLedger, tally } from './ledger.js';
import { eventTime, type Judged } from './jobs/late-in-flight.js';

const N = 20_000;

interface Fixture { published: string; entries: Record<string, string>; ledger: Record<string, unknown> }

test('an unaligned checkpoint of format 2 (before channel times) still restores: exactly once, and no record late that was not', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-format-2-'));
  try {
    const f = JSON.parse(readFileSync(new URL('./fixtures/unaligned-format-2.json', import.meta.url), 'utf8')) as Fixture;
    const stateDir = path.join(dir, 'state');
    const ledger = path.join(dir, 'ledger');
    const marker = path.join(dir, 'marker');
    const store = await CheckpointStore.open(stateDir);
    try {
      for (const [k, v] of Object.entries(f.entries)) await store.rawPut(k, Buffer.from(v, 'base64'));
    } finally {
      await store.close();
    }
    writeFileSync(path.join(stateDir, 'PUBLISHED'), f.published);
    mkdirSync(ledger);
    for (const [name, records] of Object.entries(f.ledger)) writeFileSync(path.join(ledger, name), JSON.stringify(records));
    writeFileSync(marker, '');
    // What makes it the old format: no channel times, and records only in the judge's channel state.
    const manifest = JSON.parse(Buffer.from(f.entries['m/0000000003']!, 'base64').toString('utf8')) as { format: number; channelTimes?: unknown };
    assert.equal(manifest.format, 2);
    assert.equal(manifest.channelTimes, undefined);
    const inFlight = new Packr({ useRecords: true, sequential: true, moreTypes: true }).unpack(Buffer.from(f.entries['f/0000000003/judge/0']!, 'base64')) as InFlightRecord[];
    assert.ok(inFlight.length > 0 && inFlight.every((r) => r.control === undefined && r.input === 0));

    const u = new URL('./jobs/late-in-flight.ts', import.meta.url);
    for (const [k, v] of Object.entries({ n: N, slowMs: 20, interval: 300, ledger, marker, limit: 100_000, pad: 0 })) u.searchParams.set(k, String(v));
    const h = await run(u, { stateDir, resume: true, ringBytes: 16 * 1024, onWarning: () => {} });
    const r = await h.result;
    assert.equal(r.restoredFrom, 3);
    const records = readLedger<Judged>(ledger);
    assert.deepEqual(tally(records.map((x) => x.i), N), { lost: 0, duplicated: 0, unexpected: 0 });
    // Late: only records late without the failure; on time where they should not be: only replayed ones (their
    // watermarks were not kept).
    const replayed = new Set(inFlight.map((x) => (x.value as { i: number }).i));
    for (const x of records) {
      const late = x.i % 10 === 5;
      if (x.late) assert.ok(late, `record ${x.i} (event time ${eventTime(x.i)}) late after the restore`);
      else if (late) assert.ok(replayed.has(x.i), `record ${x.i} on time after the restore, and it was not in flight`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
