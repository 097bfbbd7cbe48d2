// Error policies end to end, on real files with bad records: malformed JSON, invalid UTF-8, a CSV row with the
// wrong number of fields, user functions that throw, a record too large for a ring. For each policy: 'fail'
// fails the job naming the operator and where; 'drop' and 'dead-letter' keep going, and every operator's
// records add up (in = out + dropped + dead-lettered), so nothing is lost silently.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, OperatorError, type DeadLetter, type JobMetrics } from '../../../core/index.js';

const JOB = new URL('./jobs/bad-input.ts', import.meta.url);
let dir: string;

/** 30 good JSON records (ids 1..30) with a malformed line and a line of invalid UTF-8 among them; a CSV with one bad row. */
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bad-'));
  const lines = Array.from({ length: 30 }, (_, i) => Buffer.from(`${JSON.stringify({ id: i + 1 })}\n`));
  lines.splice(3, 0, Buffer.from('{nope\n'));                          // line 4
  lines.splice(6, 0, Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d, 0x0a])); // line 7: {"\xff"}
  writeFileSync(path.join(dir, 'a.jsonl'), Buffer.concat(lines));
  writeFileSync(path.join(dir, 'b.csv'), 'id,name\n1,a\n2,b,extra\n3,c\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

function job(params: Record<string, string | number>): URL {
  const u = new URL(JOB);
  u.searchParams.set('dir', dir);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, String(v));
  return u;
}

function counts(m: JobMetrics, operator: string): { in: number; out: number; dropped: number; dead: number } {
  const rows = m.operators.filter((o) => o.operator === operator);
  assert.ok(rows.length > 0, `metrics of ${operator}`);
  return rows.reduce((a, o) => ({ in: a.in + o.recordsIn, out: a.out + o.recordsOut, dropped: a.dropped + o.dropped, dead: a.dead + o.deadLettered }), { in: 0, out: 0, dropped: 0, dead: 0 });
}

/** Every record an operator took in came out, or was dropped or dead-lettered. */
function assertAddsUp(m: JobMetrics, operator: string): void {
  const c = counts(m, operator);
  assert.equal(c.in, c.out + c.dropped + c.dead, `${operator}: in ${c.in} = out ${c.out} + dropped ${c.dropped} + dead-lettered ${c.dead}`);
}

const goodIds = Array.from({ length: 30 }, (_, i) => i + 1);

test("'fail' (the default): bad input fails the job, naming the source, the file and line, and the typed error", async () => {
  const h = await run(job({ source: 'fail', op: 'fail' }), { parallelism: 1 });
  await assert.rejects(h.result, (e: unknown) => {
    assert.ok(e instanceof OperatorError);
    if (e.operator === 'json') assert.match(e.message, /malformed JSON: .* at .*a\.jsonl:4 \(byte \d+\)/);
    else assert.match(e.message, /operator 'csv'.*CSV record has 3 fields, expected 2 at .*b\.csv:3/);
    // Regression: it did not say how to keep going past such records.
    assert.ok(e.message.endsWith(`. To drop or dead-letter such records instead: .onError('drop' | 'dead-letter') on '${e.operator}'`), e.message);
    assert.equal(e.message.split('.onError(').length, 2, `said once, across the thread too: ${e.message}`);
    return true;
  });
});

test("'drop': bad records, failing records and a record too large for the ring are skipped and counted; everything adds up", async () => {
  const { collected, metrics } = await (await run(job({ source: 'drop', op: 'drop', big: 1 }), { parallelism: 1, ringBytes: 65536 })).result;
  assert.deepEqual((collected['json-out'] as { id: number }[]).map((r) => r.id).sort((a, b) => a - b), goodIds.filter((i) => i % 10 !== 0 && i !== 7));
  assert.deepEqual(collected['csv-out'], [{ id: 1, name: 'a' }, { id: 3, name: 'c' }]);
  assert.deepEqual(counts(metrics, 'json'), { in: 32, out: 30, dropped: 2, dead: 0 }, 'the malformed line and the invalid UTF-8 line');
  assert.deepEqual(counts(metrics, 'check'), { in: 30, out: 27, dropped: 3, dead: 0 });
  assert.deepEqual(counts(metrics, 'inflate'), { in: 27, out: 26, dropped: 1, dead: 0 });
  assert.deepEqual(counts(metrics, 'csv'), { in: 3, out: 2, dropped: 1, dead: 0 });
  for (const op of ['json', 'check', 'inflate', 'after-inflate', 'csv', 'csv-map']) assertAddsUp(metrics, op);
});

test("'dead-letter': each rejected record reaches DEAD_LETTERS with its raw input, error, operator and position; a record too large for the ring too (as a preview)", async () => {
  const { collected, metrics } = await (await run(job({ source: 'dead-letter', op: 'dead-letter', big: 1 }), { parallelism: 1, ringBytes: 65536 })).result;
  const jsonDead = collected['json-dead'] as DeadLetter[];
  assert.equal(jsonDead.length, 2);
  assert.equal(jsonDead[0]!.raw, '{nope');
  assert.equal(jsonDead[0]!.error.code, 'MALFORMED_JSON');
  assert.match(jsonDead[0]!.position!, /a\.jsonl:4$/);
  assert.equal(jsonDead[0]!.operator, 'json');
  assert.deepEqual([...(jsonDead[1]!.raw as Uint8Array)], [0x7b, 0x22, 0xff, 0x22, 0x7d], 'bytes that are not UTF-8 stay bytes');
  assert.equal(jsonDead[1]!.error.code, 'INVALID_UTF8');
  assert.match(jsonDead[1]!.position!, /a\.jsonl:7$/);
  const csvDead = collected['csv-dead'] as DeadLetter[];
  assert.deepEqual(csvDead.map((d) => [d.raw, d.error.code]), [['2,b,extra', 'CSV_COLUMN_COUNT']]);
  const checkDead = collected['check-dead'] as DeadLetter[];
  assert.deepEqual(checkDead.map((d) => d.raw), [{ id: 10 }, { id: 20 }, { id: 30 }]);
  assert.deepEqual(checkDead.map((d) => d.error.message), ['id 10 is divisible by 10', 'id 20 is divisible by 10', 'id 30 is divisible by 10']);
  const tooLarge = collected['inflate-dead'] as DeadLetter[];
  assert.equal(tooLarge.length, 1);
  assert.equal(tooLarge[0]!.error.code, 'RECORD_TOO_LARGE');
  assert.match(tooLarge[0]!.error.message, /record of \d+ bytes exceeds the ring's frame limit of \d+ bytes .*'ringBytes' option/);
  assert.equal(tooLarge[0]!.truncated, true);
  assert.match(tooLarge[0]!.raw as string, /^\{"id":7,"blob":"xxx/);
  assert.deepEqual((collected['json-out'] as { id: number }[]).map((r) => r.id).sort((a, b) => a - b), goodIds.filter((i) => i % 10 !== 0 && i !== 7));
  assert.deepEqual(counts(metrics, 'json'), { in: 32, out: 30, dropped: 0, dead: 2 });
  assert.deepEqual(counts(metrics, 'check'), { in: 30, out: 27, dropped: 0, dead: 3 });
  assert.deepEqual(counts(metrics, 'inflate'), { in: 27, out: 26, dropped: 0, dead: 1 });
  for (const op of ['json', 'check', 'inflate', 'after-inflate', 'csv', 'csv-map']) assertAddsUp(metrics, op);
});

test("a record too large for the ring with 'fail': the emitting operator's error, naming the limit and the option that raises it", async () => {
  const h = await run(job({ source: 'drop', op: 'fail', big: 1, mod: 0 }), { parallelism: 1, ringBytes: 65536 });
  await assert.rejects(h.result, (e: unknown) => {
    assert.match((e as Error).message, /record of \d+ bytes exceeds the ring's frame limit of 32764 bytes \(half the ring\); raise it with the 'ringBytes' option/);
    // Regression: it came bare, naming no operator.
    assert.equal((e as OperatorError).operator, 'inflate');
    assert.match((e as Error).message, /\.onError\('drop' \| 'dead-letter'\) on 'inflate'$/);
    // Regression: the cause's type came back from the worker as a plain Error.
    assert.equal(((e as Error).cause as Error).name, 'RecordTooLargeError');
    assert.equal(((e as Error).cause as { code?: string }).code, 'RECORD_TOO_LARGE');
    return true;
  });
  // Regression: when the ring memory budget lowered ringBytes, the error said to raise ringBytes, which did nothing.
  const lowered = await run(job({ source: 'drop', op: 'fail', big: 1, mod: 0 }), { parallelism: 1, ringBytes: 1 << 20, ringMemoryBytes: 1 << 16 });
  await assert.rejects(lowered.result, /raise it with the 'ringMemoryBytes' option/);
});

// Regression: a keyBy's key selector that threw, or a typed codec that did not fit a record, failed the
// task under the name of the chain's source, and the emitting operator's error policy did not apply.
const REJECTS = new URL('./jobs/exchange-rejects.ts', import.meta.url);
const rejectsJob = (policy: string): URL => { const u = new URL(REJECTS); u.searchParams.set('policy', policy); return u; };

test("records the exchange rejects (a key selector that throws, a codec that does not fit) fail the job under 'fail', naming the operator that emitted them", async () => {
  const h = await run(rejectsJob('fail'), { parallelism: 2 });
  await assert.rejects(h.result, (e: unknown) => {
    assert.ok(e instanceof OperatorError, String(e));
    assert.ok(['parse', 'to-stats', 'to-generic'].includes(e.operator), `named after the emitting operator, not the source: ${e.message}`);
    if (e.operator === 'parse') assert.match(e.message, /^the key selector of the keyBy into 'keyed' \(after 'parse', subtask \d\) rejected a record: Cannot read properties of null/);
    else if (e.operator === 'to-stats') assert.match(e.message, /the codec of its output rejected a record: .*n/);
    else assert.match(e.message, /the codec of its output rejected a record: .*function/);
    return true;
  });
});

// Regression: a record the generic codec rejects failed the job under the default recordBatch (its
// batch frame did not split), and under 'dead-letter' at any recordBatch (the dead letter carried the record).
for (const recordBatch of [32, 1]) test(`records the exchange rejects follow the emitting operator's 'drop' and 'dead-letter' policies, recordBatch ${recordBatch}; everything adds up`, async () => {
  const ids = Array.from({ length: 12 }, (_, i) => i + 1);
  const dropped = await (await run(rejectsJob('drop'), { parallelism: 2, recordBatch })).result;
  assert.deepEqual((dropped.collected['keyed-out'] as number[]).sort((a, b) => a - b), ids.filter((i) => i !== 3 && i !== 8));
  assert.deepEqual((dropped.collected['typed-out'] as number[]).sort((a, b) => a - b), ids.filter((i) => i !== 5 && i !== 10));
  assert.deepEqual(counts(dropped.metrics, 'parse'), { in: 12, out: 10, dropped: 2, dead: 0 });
  assert.deepEqual(counts(dropped.metrics, 'to-stats'), { in: 12, out: 10, dropped: 2, dead: 0 });
  assert.deepEqual((dropped.collected['generic-out'] as number[]).sort((a, b) => a - b), ids.filter((i) => i !== 6 && i !== 11));
  assert.deepEqual(counts(dropped.metrics, 'to-generic'), { in: 12, out: 10, dropped: 2, dead: 0 });
  const dead = await (await run(rejectsJob('dead-letter'), { parallelism: 2, recordBatch })).result;
  const parseDead = dead.collected['parse-dead'] as DeadLetter[];
  assert.deepEqual(parseDead.map((d) => (d.raw as { id: number }).id).sort((a, b) => a - b), [3, 8]);
  assert.ok(parseDead.every((d) => d.operator === 'parse' && /^the key selector of the keyBy into 'keyed' rejected a record: /.test(d.error.message)), JSON.stringify(parseDead[0]));
  const statsDead = dead.collected['stats-dead'] as DeadLetter[];
  assert.deepEqual(statsDead.map((d) => (d.raw as { id: number }).id).sort((a, b) => a - b), [5, 10]);
  assert.deepEqual(counts(dead.metrics, 'to-stats'), { in: 12, out: 10, dropped: 0, dead: 2 });
  // The record cannot cross a ring, so neither can a dead letter holding it: it carries a preview.
  const genericDead = dead.collected['generic-dead'] as DeadLetter[];
  assert.deepEqual(genericDead.map((d) => JSON.parse(d.raw as string).id).sort((a, b) => a - b), [6, 11]);
  assert.ok(genericDead.every((d) => d.truncated && d.operator === 'to-generic' && /function/.test(d.error.message)), JSON.stringify(genericDead[0]));
  assert.deepEqual((dead.collected['generic-out'] as number[]).sort((a, b) => a - b), ids.filter((i) => i !== 6 && i !== 11));
  assert.deepEqual(counts(dead.metrics, 'to-generic'), { in: 12, out: 10, dropped: 0, dead: 2 });
  for (const op of ['parse', 'to-stats', 'to-generic', 'keyed', 'typed', 'generic']) { assertAddsUp(dropped.metrics, op); assertAddsUp(dead.metrics, op); }
});

// Regression: a record a side output's exchange rejected was taken off its operator's records out, which
// count the main output only; one that one of two exchanges rejected was too, though it went out through the other.
test('records an exchange rejects count against records out only where that exchange is the main output\'s one way out', async () => {
  const r = await (await run(new URL('./jobs/exchange-rejects-fanout.ts', import.meta.url), { parallelism: 2 })).result;
  assert.equal((r.collected['main-out'] as number[]).length, 10);
  assert.equal((r.collected['odd-out'] as number[]).length, 8);
  assert.deepEqual(counts(r.metrics, 'proc'), { in: 20, out: 10, dropped: 2, dead: 0 });
  // Regression: the two rejected side-output records were also counted in sideOutputRecords (in 20 =
  // out 10 + side 10 + dropped 2): they went nowhere but the error policy.
  assert.equal(r.metrics.operators.filter((o) => o.operator === 'proc').reduce((n, o) => n + o.sideOutputRecords, 0), 8);
  assert.equal((r.collected['b1-out'] as number[]).length, 18);
  assert.equal((r.collected['b2-out'] as number[]).length, 20);
  assert.deepEqual(counts(r.metrics, 'fan'), { in: 20, out: 20, dropped: 2, dead: 0 });
});

// Regression: a source's dead letter of a line over maxLineBytes (default 1 MiB) is marked truncated
// already, and was never cut to the preview: larger than a ring's frame limit, it failed the job.
test('a line over maxLineBytes under dead-letter: its dead letter crosses a ring cut to the preview, and the job goes on', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-long-line-'));
  try {
    writeFileSync(path.join(dir, 'a.jsonl'), `{"i":1}\n{"s":"${'y'.repeat(1_500_000)}"}\n{"i":3}\n`);
    const u = new URL('./jobs/long-line-dead-letter.ts', import.meta.url);
    u.searchParams.set('dir', dir);
    const r = await (await run(u, { parallelism: 1 })).result;
    assert.deepEqual(r.collected['out'], [{ i: 1 }, { i: 3 }]);
    assert.deepEqual(r.collected['dead'], [{ op: 'json', truncated: true, length: 4096, error: 'LineTooLongError' }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: the dead letter of a record rejected as its stream ended went out after the letters' own
// end of stream, which the channel refused: the job failed with a ChannelClosedError.
test('a record the exchange rejects as the stream ends still becomes a dead letter, at parallelism 1 and 2, recordBatch 32 and 1', async () => {
  for (const parallelism of [1, 2]) {
    for (const recordBatch of [32, 1]) {
      const r = await (await run(new URL('./jobs/last-record-rejected.ts', import.meta.url), { parallelism, recordBatch })).result;
      assert.deepEqual((r.collected['out'] as number[]).sort((a, b) => a - b), Array.from({ length: 11 }, (_, i) => i + 1), `p${parallelism} batch ${recordBatch}`);
      const dead = r.collected['dead'] as DeadLetter[];
      assert.deepEqual(dead.map((d) => [d.operator, JSON.parse(d.raw as string).id, d.truncated]), [['emit', 12, true]], `p${parallelism} batch ${recordBatch}`);
    }
  }
});
