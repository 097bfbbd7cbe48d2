// The writer a run with collect: 'count' gives collect sinks (sluice run): it keeps no record, and each handover
// (a transaction, the end, a cancel's) is the number written since the one before.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countingWriter } from '../../../core/connectors/collect-count-writer.js';

test('counts what was written since the last handover, whichever handover it is', () => {
  const w = countingWriter();
  for (let i = 0; i < 5; i++) w.write({ i });
  assert.equal(w.prepareCommit!(1), 5);
  assert.equal(w.prepareCommit!(2), 0, 'nothing since');
  w.write('a'); w.write('b');
  assert.equal(w.stopped!(), 2);
  w.write(() => 'a function: never cloned, so counted as any record');
  assert.equal(w.finish(), 1);
  assert.equal(w.drain, undefined, 'nothing to hand over while the job runs');
});
