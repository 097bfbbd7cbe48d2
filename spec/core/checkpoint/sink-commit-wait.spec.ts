// How anything waits for a sinks' commit (SinkCommitWait): warned about after checkpointTimeoutMs, given up
// stopGraceMs after a cancel or checkpointTimeoutMs after a failure. Timers are mocked: nothing here sleeps.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { publishAgain, SinkCommitWait, type CommitStop } from '../../../core/checkpoint/sink-commit-wait.js';

/** A commit that settles only when told (`end`), or never. */
function commit(): { p: Promise<void>; end: (e?: Error) => void } {
  let end!: (e?: Error) => void;
  const p = new Promise<void>((resolve, reject) => { end = (e) => (e ? reject(e) : resolve()); });
  return { p, end };
}

/** Lets promise continuations run (mocked timers fire synchronously inside tick). */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

function stopOf(): { stop: CommitStop; cancel: () => void } {
  let cancel!: () => void;
  const cancelled = new Promise<void>((r) => { cancel = r; });
  return { stop: { cancelled, cancelGraceMs: 100, failureGraceMs: Infinity }, cancel };
}

test('a commit that settles (or fails) ends the wait with nothing given up, and no slow warning after', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  for (const failed of [false, true]) {
    const warnings: string[] = [];
    const c = commit();
    const wait = new SinkCommitWait('checkpoint 4', c.p, 300, (w) => warnings.push(w), 'nothing starts');
    const waited = wait.bounded(c.p, stopOf().stop);
    c.end(failed ? new Error('broker down') : undefined);
    assert.equal(await waited, undefined);
    t.mock.timers.tick(1000);
    assert.deepEqual(warnings, []);
  }
});

test('a commit that does not return is warned about after timeoutMs, and given up cancelGraceMs after the cancel (its warning off)', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const warnings: string[] = [];
  const c = commit();
  const wait = new SinkCommitWait('checkpoint 4', c.p, 300, (w) => warnings.push(w), 'nothing starts until it does');
  const { stop, cancel } = stopOf();
  let gaveUp: string | undefined | null = null;
  void wait.bounded(c.p, stop).then((g) => { gaveUp = g; });
  t.mock.timers.tick(300);
  assert.deepEqual(warnings, ["the sinks' commit of checkpoint 4 has not returned after 300 ms (checkpointTimeoutMs); nothing starts until it does"]);
  // No cancel: it waits on.
  t.mock.timers.tick(10_000);
  await settle();
  assert.equal(gaveUp, null);
  cancel();
  await settle();
  t.mock.timers.tick(99);
  await settle();
  assert.equal(gaveUp, null, 'before stopGraceMs');
  t.mock.timers.tick(1);
  await settle();
  assert.equal(gaveUp, "the sinks' commit of checkpoint 4 had not returned 100 ms after the job was cancelled (stopGraceMs): no longer waited for; its checkpoint is complete, so a resume publishes its transactions again");
});

test('a failed attempt gives the commit up after failureGraceMs, and its slow warning never comes', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const warnings: string[] = [];
  const c = commit();
  const wait = new SinkCommitWait('checkpoint 7', c.p, 300, (w) => warnings.push(w), 'x');
  const waited = wait.bounded(c.p, { ...stopOf().stop, failureGraceMs: 200 });
  t.mock.timers.tick(200);
  assert.match((await waited)!, /^the sinks' commit of checkpoint 7 had not returned 200 ms after the job failed \(checkpointTimeoutMs\): no longer waited for/);
  t.mock.timers.tick(1000);
  assert.deepEqual(warnings, []);
});

test('publishAgain: true once published; false when a cancel gave it up (said); a failed publish rejects', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const warnings: string[] = [];
  const warn = (w: string): void => { warnings.push(w); };
  assert.equal(await publishAgain(Promise.resolve(), 3, 300, stopOf().stop, warn), true);
  await assert.rejects(publishAgain(Promise.reject(new Error('broker down')), 3, 300, stopOf().stop, warn), /broker down/);
  assert.deepEqual(warnings, []);

  const { stop, cancel } = stopOf();
  const given = publishAgain(commit().p, 3, 300, stop, warn);
  cancel();
  await settle();
  t.mock.timers.tick(100);
  assert.equal(await given, false);
  assert.deepEqual(warnings, ["the sinks' commit of checkpoint 3 (published again as the job restores it) had not returned 100 ms after the job was cancelled (stopGraceMs): no longer waited for; its checkpoint is complete, so a resume publishes its transactions again"]);
});

test("nowWaits: the warning still to come says what waits now; one already given is said again with it", (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const warnings: string[] = [];
  const before = new SinkCommitWait('checkpoint 5', commit().p, 300, (w) => warnings.push(w), 'no checkpoint starts');
  before.nowWaits('the job does not end');
  assert.equal(warnings.length, 0);
  t.mock.timers.tick(300);
  assert.deepEqual(warnings, ["the sinks' commit of checkpoint 5 has not returned after 300 ms (checkpointTimeoutMs); the job does not end"]);

  const later: string[] = [];
  const after = new SinkCommitWait('checkpoint 6', commit().p, 300, (w) => later.push(w), 'no checkpoint starts');
  t.mock.timers.tick(300);
  after.nowWaits('the job does not end');
  after.nowWaits('the job does not end');
  assert.deepEqual(later, [
    "the sinks' commit of checkpoint 6 has not returned after 300 ms (checkpointTimeoutMs); no checkpoint starts",
    "the sinks' commit of checkpoint 6 has not returned after 300 ms (checkpointTimeoutMs); the job does not end",
  ]);
});

test('nowWaits says nothing of a commit that returned or was given up', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const warnings: string[] = [];
  const c = commit();
  const returned = new SinkCommitWait('checkpoint 5', c.p, 300, (w) => warnings.push(w), 'no checkpoint starts');
  t.mock.timers.tick(300);
  c.end();
  await settle();
  returned.nowWaits('the job does not end');

  const hung = commit().p;
  const givenUp = new SinkCommitWait('checkpoint 6', hung, 300, (w) => warnings.push(w), 'no checkpoint starts');
  t.mock.timers.tick(300);
  const waited = givenUp.bounded(hung, { ...stopOf().stop, failureGraceMs: 50 });
  t.mock.timers.tick(50);
  assert.match((await waited)!, /had not returned 50 ms after the job failed/);
  givenUp.nowWaits('the job does not end');
  assert.deepEqual(warnings, [
    "the sinks' commit of checkpoint 5 has not returned after 300 ms (checkpointTimeoutMs); no checkpoint starts",
    "the sinks' commit of checkpoint 6 has not returned after 300 ms (checkpointTimeoutMs); no checkpoint starts",
  ]);
});
