// Credit from a collect sink's reader to its subtasks (shm/layout.ts, output flow): raised each half bound read,
// and the threads rung only when subtasks had used all of it (they may be parked waiting for more).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OUTPUT_CREDIT, OUTPUT_FLOW_ON, OUTPUT_FLOW_SLOTS, OUTPUT_READER, OUTPUT_TAKEN } from '../../../shm/layout.js';
import { OutputCredit } from '../../../core/runtime/output-credit.js';

test('credit: the bound at start, raised each half bound read, a ring only when the subtasks had reached it', () => {
  const flow = new Int32Array(2 * OUTPUT_FLOW_SLOTS);
  const base = OUTPUT_FLOW_SLOTS;
  let rings = 0;
  const c = new OutputCredit(flow, base, 10, () => { rings++; });
  c.start();
  assert.equal(flow[base + OUTPUT_READER], 1);
  assert.equal(flow[base + OUTPUT_FLOW_ON], 1);
  assert.equal(flow[base + OUTPUT_CREDIT], 10);
  assert.equal(flow[OUTPUT_FLOW_ON], 0, 'another sink\'s line is left alone');
  // Subtasks took 3: reading 5 raises the credit to 15 with no ring (they were not out of credit).
  flow[base + OUTPUT_TAKEN] = 3;
  for (let i = 0; i < 4; i++) c.took();
  assert.equal(flow[base + OUTPUT_CREDIT], 10, 'not raised before half the bound was read');
  c.took();
  assert.equal(flow[base + OUTPUT_CREDIT], 15);
  assert.equal(rings, 0);
  // They took all 15: the next raise rings.
  flow[base + OUTPUT_TAKEN] = 15;
  for (let i = 0; i < 5; i++) c.took();
  assert.equal(flow[base + OUTPUT_CREDIT], 20);
  assert.equal(rings, 1);
  c.stop();
  assert.equal(flow[base + OUTPUT_FLOW_ON], 0);
  assert.equal(flow[base + OUTPUT_READER], 0);
  assert.equal(rings, 2, 'a stop rings: subtasks waiting for credit take input again');
});

test('credit: counts that wrap past 2^32 still compare by their difference', () => {
  const flow = new Int32Array(OUTPUT_FLOW_SLOTS);
  let rings = 0;
  const c = new OutputCredit(flow, 0, 4, () => { rings++; });
  // 2^32 - 2 records read (set directly: reading them would take minutes), and the subtasks out of credit.
  Object.assign(c as unknown as { read: number; grantedAt: number }, { read: 2 ** 32 - 2, grantedAt: 2 ** 32 - 2 });
  c.start();
  flow[OUTPUT_TAKEN] = flow[OUTPUT_CREDIT]!;
  c.took();
  c.took();
  assert.equal(flow[OUTPUT_CREDIT], (2 ** 32 + 4) | 0, 'the credit wrapped');
  assert.equal(rings, 1, 'the subtasks at the old (unwrapped) credit were rung');
  assert.ok(((flow[OUTPUT_CREDIT]! - flow[OUTPUT_TAKEN]!) | 0) > 0, 'and have credit again');
});

test('no bound: the subtasks are told of the reader, and given no credit to watch', () => {
  const flow = new Int32Array(OUTPUT_FLOW_SLOTS);
  const c = new OutputCredit(flow, 0, Infinity, () => {});
  c.start();
  for (let i = 0; i < 100; i++) c.took();
  assert.deepEqual([flow[OUTPUT_READER], flow[OUTPUT_FLOW_ON], flow[OUTPUT_CREDIT]], [1, 0, 0]);
  c.stop();
  assert.equal(flow[OUTPUT_READER], 0);
});
