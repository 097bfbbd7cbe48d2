// Whole jobs on real threads with two-input operators: a keyed co-process function (orders and payments with
// shared state and event-time timers on the combined watermark) and the fraud-rules pattern on broadcast state,
// at several parallelisms, against plain oracles.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../../core/index.js';
import { generateRecord } from '../../../core/connectors/generator.js';
import { DEADLINE, order, payment } from './jobs/orders.js';
import { matches, RULES, transaction } from './jobs/fraud.js';

describe('keyed co-process', () => {
  const N = 3000;
  const BOUND = 20;
  const orders = Array.from({ length: N }, (_, i) => generateRecord(order(BOUND), 1, i));
  const payments = Array.from({ length: N }, (_, i) => generateRecord(payment, 2, i));
  const want = orders.map((o) => JSON.stringify([o.order, o.amount, payments.filter((p) => p.order === o.order && p.ts <= o.ts + DEADLINE).reduce((s, p) => s + p.paid, 0)])).sort();
  for (const parallelism of [1, 3]) {
    test(`orders meet their payments by key; timers fire on the watermark of both inputs (parallelism ${parallelism})`, async () => {
      const h = await run(new URL(`./jobs/orders.ts?n=${N}&bound=${BOUND}`, import.meta.url), { parallelism, ringBytes: 64 * 1024 });
      const { collected } = await h.result;
      assert.deepEqual((collected.out ?? []).map((r) => JSON.stringify(r)).sort(), want);
    });
  }
});

describe('broadcast state: fraud rules', () => {
  const N = 5000;
  const ACCOUNTS = 50;
  const txs = Array.from({ length: N }, (_, i) => generateRecord(transaction(ACCOUNTS), 11, i));
  const want: string[] = [];
  for (const tx of txs) for (const rule of RULES) if (matches(rule, tx)) want.push(`${tx.id}/${rule.id}`);
  for (const parallelism of [1, 4]) {
    test(`every transaction is checked against every rule exactly once, on every instance (parallelism ${parallelism})`, async () => {
      const h = await run(new URL(`./jobs/fraud.ts?n=${N}&accounts=${ACCOUNTS}`, import.meta.url), { parallelism, ringBytes: 64 * 1024 });
      const { collected } = await h.result;
      const alerts = (collected.alerts ?? []) as [number, string, number][];
      assert.deepEqual(alerts.map(([tx, rule]) => `${tx}/${rule}`).sort(), want.sort());
      // Every subtask that owns accounts applied every rule (its broadcast state has them all).
      const bySubtask = new Map<number, Set<string>>();
      for (const [, rule, st] of alerts) bySubtask.set(st, (bySubtask.get(st) ?? new Set()).add(rule));
      assert.equal(bySubtask.size, parallelism, 'every subtask owns accounts with alerts');
      for (const rules of bySubtask.values()) assert.equal(rules.size, RULES.length);
    });
  }
});
