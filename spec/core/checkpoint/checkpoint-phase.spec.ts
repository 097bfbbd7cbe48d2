// The coordinator's checkpoint life cycle: every transition, every event each phase ignores, which phases are in
// flight, when a final-state report waits, and what a trigger does.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ABORTED, COLLECTING, DONE, PUBLISHING, WRITING_MANIFEST, finalStateWaits, inFlight, onAbort, onEveryAckIn,
  onManifestCommitted, onPublished, onTrigger, type AbortCause, type CheckpointPhase,
} from '../../../core/checkpoint/checkpoint-phase.js';

const PHASES: CheckpointPhase[] = [COLLECTING, WRITING_MANIFEST, PUBLISHING, DONE, ABORTED];
const CAUSES: AbortCause[] = ['timeout', 'decline', 'stop', 'write-failed'];
const IN_FLIGHT: CheckpointPhase[] = [COLLECTING, WRITING_MANIFEST, PUBLISHING];
const ENDED: CheckpointPhase[] = [DONE, ABORTED];

/** `f` applied to every phase, by phase (undefined: ignored). */
function table(f: (p: CheckpointPhase) => CheckpointPhase | undefined): Record<string, CheckpointPhase | undefined> {
  return Object.fromEntries(PHASES.map((p) => [p, f(p)]));
}

describe('checkpoint phase', () => {
  test('a checkpoint that completes: collecting, writing its manifest, publishing, done', () => {
    let p: CheckpointPhase = COLLECTING;
    p = onEveryAckIn(p)!;
    assert.equal(p, WRITING_MANIFEST);
    p = onManifestCommitted(p)!;
    assert.equal(p, PUBLISHING);
    p = onPublished(p)!;
    assert.equal(p, DONE);
  });

  test('every ack in moves only a collecting checkpoint on (later acks and final states change nothing)', () => {
    assert.deepEqual(table(onEveryAckIn), {
      [COLLECTING]: WRITING_MANIFEST, [WRITING_MANIFEST]: undefined, [PUBLISHING]: undefined, [DONE]: undefined, [ABORTED]: undefined,
    });
  });

  test('a committed manifest moves only one being written on', () => {
    assert.deepEqual(table(onManifestCommitted), {
      [COLLECTING]: undefined, [WRITING_MANIFEST]: PUBLISHING, [PUBLISHING]: undefined, [DONE]: undefined, [ABORTED]: undefined,
    });
  });

  test('published moves only a publishing checkpoint to done', () => {
    assert.deepEqual(table(onPublished), {
      [COLLECTING]: undefined, [WRITING_MANIFEST]: undefined, [PUBLISHING]: DONE, [DONE]: undefined, [ABORTED]: undefined,
    });
  });

  test('abort, by phase and cause', () => {
    const got = Object.fromEntries(CAUSES.map((c) => [c, table((p) => onAbort(p, c))]));
    assert.deepEqual(got, {
      // The timer is cleared once every ack is in.
      timeout: { [COLLECTING]: ABORTED, [WRITING_MANIFEST]: undefined, [PUBLISHING]: undefined, [DONE]: undefined, [ABORTED]: undefined },
      // Once every ack is in, no worker declines (and the manifest may be committed already).
      decline: { [COLLECTING]: ABORTED, [WRITING_MANIFEST]: undefined, [PUBLISHING]: undefined, [DONE]: undefined, [ABORTED]: undefined },
      // A stop lets a checkpoint whose acks are all in finish.
      stop: { [COLLECTING]: ABORTED, [WRITING_MANIFEST]: undefined, [PUBLISHING]: undefined, [DONE]: undefined, [ABORTED]: undefined },
      // Only the manifest's writes fail a checkpoint whose acks are all in.
      'write-failed': { [COLLECTING]: undefined, [WRITING_MANIFEST]: ABORTED, [PUBLISHING]: undefined, [DONE]: undefined, [ABORTED]: undefined },
    });
  });

  test('a stop while the manifest is written: the checkpoint still completes', () => {
    let p: CheckpointPhase = onEveryAckIn(COLLECTING)!;
    assert.equal(onAbort(p, 'stop'), undefined);
    p = onManifestCommitted(p)!;
    assert.equal(onAbort(p, 'stop'), undefined);
    assert.equal(onPublished(p), DONE);
  });

  test('done and aborted are final: no event moves them', () => {
    for (const p of ENDED) {
      assert.equal(onEveryAckIn(p), undefined, p);
      assert.equal(onManifestCommitted(p), undefined, p);
      assert.equal(onPublished(p), undefined, p);
      for (const c of CAUSES) assert.equal(onAbort(p, c), undefined, `${p} ${c}`);
    }
  });

  test('in flight: collecting, writing the manifest, publishing', () => {
    assert.deepEqual(PHASES.filter(inFlight), IN_FLIGHT);
  });

  test('a final-state report waits only if its subtask acknowledged the checkpoint in flight', () => {
    assert.equal(finalStateWaits(undefined, false), false, 'none in flight');
    for (const p of IN_FLIGHT) {
      assert.equal(finalStateWaits(p, true), true, `${p}, acked`);
      assert.equal(finalStateWaits(p, false), false, `${p}, not acked`);
    }
    for (const p of ENDED) assert.equal(finalStateWaits(p, true), false, `${p}: it ended`);
  });

  test('a trigger begins when none is in flight, waits behind one in flight, is refused once stopped', () => {
    assert.equal(onTrigger(false, undefined), 'begin');
    for (const p of IN_FLIGHT) assert.equal(onTrigger(false, p), 'queue', p);
    for (const p of ENDED) assert.equal(onTrigger(false, p), 'begin', p);
    assert.equal(onTrigger(true, undefined), 'refuse');
    for (const p of PHASES) assert.equal(onTrigger(true, p), 'refuse', `stopped, ${p}`);
  });
});
