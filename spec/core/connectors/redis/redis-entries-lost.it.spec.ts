// Entries trimmed from a stream before a running job's Redis source read them, against a private redis-server 7:
// under the default error policy the job fails naming the source, the subtask, the stream and the ids lost; under
// 'drop' it reads on and counts the lost range as one dropped record; under 'dead-letter' it is one dead letter.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { OperatorError, StreamEntriesLostError, run } from '../../../../core/index.js';
import { redisForSpecFile } from '../../../support/redis.js';
import { redisJob } from './redis-job.js';
import { endsWithTest } from '../../../support/ends-with-test.js';

const db = redisForSpecFile();

const job = (params: Record<string, string>): URL => redisJob(db.server.url, params);

/** Starts the job, waits (checkpoint by checkpoint) until `out` holds `n` entries, then trims three entries added at once to one. */
async function startAndTrim(t: TestContext, policy: string, n: number) {
  const [s, out, dead] = [db.key(`lost-${policy}`), db.key(`out-${policy}`), db.key(`dead-${policy}`)];
  const p = db.redis.pipeline();
  for (let i = 0; i < n; i++) p.xadd(s, '*', 'data', JSON.stringify({ i }));
  await p.exec();
  let wake: () => void = () => {};
  const h = endsWithTest(t, await run(job({ case: 'eo', in: s, out, dead, policy }), { restartStrategy: { type: 'none' }, onCheckpoint: () => wake() }));
  let ended = false;
  void h.result.finally(() => { ended = true; wake(); }).catch(() => {});
  const until = async (cond: () => Promise<boolean>): Promise<void> => {
    for (;;) {
      // Armed before cond() runs: a checkpoint or the job's end while it awaits Redis still wakes this wait.
      const woken = new Promise<void>((r) => { wake = r; });
      if (ended || await cond()) return;
      await woken;
    }
  };
  await until(async () => (await db.redis.xlen(out)) === n);
  assert.equal(ended, false, 'the job is still running');
  const last = (await db.redis.xrevrange(s, '+', '-', 'COUNT', 1))[0]![0];
  await db.redis.multi().xadd(s, '*', 'data', JSON.stringify({ i: n })).xadd(s, '*', 'data', JSON.stringify({ i: n + 1 })).xadd(s, '*', 'data', JSON.stringify({ i: n + 2 })).xtrim(s, 'MAXLEN', 1).exec();
  return { h, s, out, dead, last, until, ended: () => ended };
}

// Regression: the source read on from the entry the trim left, and the two before it were never processed, silently.
test('entries trimmed before the source read them: the job fails with an OperatorError naming the source, the stream and the ids lost', async (t) => {
  const { h, s, out, last, until, ended } = await startAndTrim(t, 'fail', 5);
  // Until it fails, or (the bug) writes the entry the trim left.
  await until(async () => (await db.redis.xlen(out)) === 6);
  if (!ended()) {
    await h.cancel();
    assert.fail('the job read on past the lost entries');
  }
  const e = await h.result.then(() => assert.fail('the job ended'), (x: unknown) => x as Error);
  assert.ok(e instanceof OperatorError, `OperatorError, got ${e.name}: ${e.message}`);
  assert.equal(e.operator, 'read');
  assert.match(e.message, new RegExp(`^operator 'read' \\(subtask 0\\) failed: entries lost: stream '${s}' at 127\\.0\\.0\\.1:${db.server.port} lost 2 entries after ${last} (before|up to) \\d+-\\d+: deleted \\(XTRIM, MAXLEN, XDEL\\) before this source read them at ${s}/${last}\\.\\.\\d+-\\d+\\. To drop or dead-letter such records instead: \\.onError\\('drop' \\| 'dead-letter'\\) on 'read'$`));
  const cause = e.cause as StreamEntriesLostError;
  assert.equal(cause.name, 'StreamEntriesLostError');
  assert.equal(cause.code, 'ENTRIES_LOST');
  assert.deepEqual([cause.stream, cause.after], [s, last]);
});

test("under 'drop' the source reads on, and the lost range is one dropped record of the source", async (t) => {
  const { h, out, until, ended } = await startAndTrim(t, 'drop', 5);
  await until(async () => (await db.redis.xlen(out)) === 6);
  assert.equal(ended(), false, 'the job is still running');
  const result = await h.cancel();
  const read = result.metrics.operators.filter((o) => o.operator === 'read');
  assert.equal(read.reduce((n, o) => n + o.dropped, 0), 1);
  assert.equal(read.reduce((n, o) => n + o.recordsOut, 0), 6);
  assert.equal(read.reduce((n, o) => n + o.recordsIn, 0), 7, 'in = out + dropped: the range is one record in');
  assert.deepEqual((await db.redis.xrange(out, '-', '+')).map(([, f]) => Number(f[1])).sort((a, b) => a - b), [0, 1, 2, 3, 4, 7]);
});

test("under 'dead-letter' the lost range is one dead letter: the typed error and the range as its position, no raw input", async (t) => {
  const { h, s, out, dead, last, until } = await startAndTrim(t, 'dead-letter', 5);
  await until(async () => (await db.redis.xlen(out)) === 6 && (await db.redis.xlen(dead)) === 1);
  await h.cancel();
  const [[, fields]] = await db.redis.xrange(dead, '-', '+');
  const letter = JSON.parse(fields![fields!.indexOf('data') + 1]!) as { operator: string; error: { name: string; code: string; message: string }; raw: string; position: string };
  assert.equal(letter.operator, 'read');
  assert.deepEqual([letter.error.name, letter.error.code, letter.raw], ['StreamEntriesLostError', 'ENTRIES_LOST', '']);
  assert.match(letter.position, new RegExp(`^${s}/${last}\\.\\.\\d+-\\d+$`));
  assert.match(letter.error.message, / lost 2 entries after /);
});
