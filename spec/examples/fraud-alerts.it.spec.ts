// Runs on: main thread (the test; the job runs on worker threads, and once in `sluice` child processes).
//
// The tutorial's fraud-alerts job (examples/fraud-alerts.ts), whole: on the generator with planted scenarios at
// parallelism 1, on the same transactions from a JSON Lines file at parallelism 2, and on the generator at
// parallelism 2 through the CLI, killed mid-run and resumed from its last checkpoint.
// Its alert files must equal a plain single-threaded oracle exactly: every planted fraud reported, no near miss,
// nothing else, nothing twice. Rejected input is exactly the planted invalid records (and a malformed line);
// late transactions are only ever the planted late ones.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, type DeadLetter } from '../../core/index.js';
import type { Alert, LateTransaction } from '../../examples/fraud-alerts.js';
import { cardTransactions, plantedScenarios, type Scenario } from '../../examples/fraud/card-transactions.js';
import type { Transaction } from '../../examples/fraud/transaction.js';
import { asTransaction, oracle, sorted } from './fraud-oracle.js';
import { logLines, SluiceProcess } from '../core/cli/sluice-process.js';

const JOB = new URL('../../examples/fraud-alerts.ts', import.meta.url);
/** Ten blocks: every scenario planted ten times, twenty minutes of event time. */
const COUNT = 60_000;
const SEED = 42;
const records = cardTransactions(COUNT, SEED);
const planted = plantedScenarios(COUNT);
const idsOf = (s: Scenario): Set<number> => new Set(planted.filter((p) => p.scenario === s).flatMap((p) => p.ids));

/** Every record of the published part files of a file sink directory (hidden in-progress parts skipped). */
function readSink<T>(dir: string): T[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => !f.startsWith('.')).sort()
    .flatMap((f) => readFileSync(path.join(dir, f), 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as T));
}

interface Output { alerts: Alert[]; late: LateTransaction[]; rejected: DeadLetter[] }

function readOutput(out: string): Output {
  return { alerts: readSink<Alert>(path.join(out, 'alerts')), late: readSink<LateTransaction>(path.join(out, 'late')), rejected: readSink<DeadLetter>(path.join(out, 'rejected')) };
}

const expected = oracle(records.map(asTransaction).filter((t): t is Transaction => t !== undefined));

/** What every run must show, whatever its parallelism, input or failures. */
function checkOutput(o: Output, what: string): void {
  assert.deepEqual(sorted(o.alerts), expected, `${what}: the alerts are exactly the oracle's`);
  const alerted = new Set(o.alerts.map((a) => `${a.rule}|${a.txIds.join(',')}`));
  for (const p of planted) {
    if (p.scenario === 'small-then-large') assert.ok(alerted.has(`small-then-large|${p.ids.join(',')}`), `${what}: planted fraud on ${p.account} reported`);
    if (p.scenario === 'spending-spree') assert.ok(alerted.has(`spending|${p.ids.join(',')}`), `${what}: planted spree on ${p.account} reported`);
    if (p.scenario !== 'small-then-large' && p.scenario !== 'spending-spree') {
      assert.ok(!o.alerts.some((a) => a.account === p.account), `${what}: no alert for the ${p.scenario} near miss on ${p.account}`);
    }
  }
  const plantedLate = idsOf('late');
  for (const l of o.late) assert.ok(plantedLate.has(l.id), `${what}: only planted late transactions are late, not ${JSON.stringify(l)}`);
  const lateKeys = o.late.map((l) => `${l.missed}|${l.id}`);
  assert.equal(new Set(lateKeys).size, lateKeys.length, `${what}: no late transaction written twice`);
  const invalid = [...idsOf('invalid')].sort((a, b) => a - b);
  const rejected = o.rejected.filter((d) => d.operator === 'validate');
  assert.deepEqual(rejected.map((d) => (d.raw as { id: number }).id).sort((a, b) => a - b), invalid, `${what}: the planted invalid records are dead-lettered, once each`);
  for (const d of rejected) assert.equal(d.error.name, 'InvalidTransactionError');
}

/** Runs `fn` with FRAUD_* settings in the environment (run() and the CLI's worker threads copy it). */
async function withSettings<T>(settings: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(settings).map((k) => [k, process.env[k]]));
  Object.assign(process.env, settings);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('examples/fraud-alerts.ts', () => {
  let dir = '';
  before(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-fraud-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the oracle sees every planted scenario as planted, and late transactions cannot change any alert', () => {
    assert.equal(planted.length, 10 * 7);
    const rules = new Set(expected.map((a) => `${a.rule}|${a.txIds.join(',')}`));
    assert.ok(expected.length > planted.filter((p) => p.scenario === 'small-then-large' || p.scenario === 'spending-spree').length, 'chance frauds too');
    for (const p of planted) {
      if (p.scenario === 'small-then-large') assert.ok(rules.has(`small-then-large|${p.ids.join(',')}`), p.account);
      if (p.scenario === 'spending-spree') assert.ok(rules.has(`spending|${p.ids.join(',')}`), p.account);
    }
    // The job may find a planted late transaction late or (before the watermark gets there) on time: same alerts.
    const late = idsOf('late');
    const onTime = records.map(asTransaction).filter((t): t is Transaction => t !== undefined && !late.has(t.id));
    assert.deepEqual(oracle(onTime), expected);
  });

  test('generated transactions at parallelism 1: alerts equal the oracle', { timeout: 120_000 }, async () => {
    const out = path.join(dir, 'generated');
    const h = await withSettings({ FRAUD_OUT: out, FRAUD_COUNT: String(COUNT), FRAUD_SEED: String(SEED), FRAUD_RATE: '0', FRAUD_PRINT: '0', FRAUD_INPUT: '' },
      () => run(JOB, { parallelism: 1 }));
    const r = await h.result;
    const o = readOutput(out);
    checkOutput(o, 'generated, p=1');
    assert.equal(o.rejected.length, idsOf('invalid').size, 'nothing else rejected');
    const validate = r.metrics.operators.find((m) => m.operator === 'validate')!;
    assert.deepEqual([validate.recordsIn, validate.recordsOut, validate.deadLettered], [COUNT, COUNT - idsOf('invalid').size, idsOf('invalid').size]);
  });

  test('the same transactions from a JSON Lines file at parallelism 2, plus a malformed line: same alerts, the line dead-lettered', { timeout: 120_000 }, async () => {
    const input = path.join(dir, 'transactions.jsonl');
    writeFileSync(input, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    appendFileSync(input, '{"id": 60000, "account": "acct-00001", "amount": \n');
    const out = path.join(dir, 'file');
    const h = await withSettings({ FRAUD_OUT: out, FRAUD_INPUT: input, FRAUD_PRINT: '0' }, () => run(JOB, { parallelism: 2 }));
    await h.result;
    const o = readOutput(out);
    checkOutput(o, 'file, p=2');
    const malformed = o.rejected.filter((d) => d.operator === 'transactions');
    assert.equal(malformed.length, 1);
    assert.equal(malformed[0]!.error.name, 'MalformedJsonError');
    assert.equal(malformed[0]!.position?.replace(/ .*/, ''), `${input}:${COUNT + 1}`);
    assert.equal(o.rejected.length, idsOf('invalid').size + 1, 'nothing else rejected');
  });

  test('generated transactions at parallelism 2 through `sluice run`, killed mid-stream and resumed: every alert exactly once', { timeout: 150_000 }, async () => {
    const out = path.join(dir, 'cli');
    const state = path.join(out, 'state');
    const args = ['run', 'examples/fraud-alerts.ts', '-p', '2', '--state-dir', state, '--checkpoint-interval', '100', '--log-level', 'info'];
    await withSettings({ FRAUD_OUT: out, FRAUD_COUNT: String(COUNT), FRAUD_SEED: String(SEED), FRAUD_RATE: '20000', FRAUD_PRINT: '0', FRAUD_INPUT: '' }, async () => {
      const first = new SluiceProcess(args, 120_000);
      await first.waitForLines((l) => l.includes('"event":"checkpoint"'), 2, 'two checkpoints');
      first.kill('SIGKILL');
      assert.equal((await first.exited).signal, 'SIGKILL');
      const second = new SluiceProcess([...args, '--resume'], 120_000);
      const end = await second.exited;
      assert.equal(end.code, 0, end.stderr);
      const from = logLines(end.stderr).find((l) => l.event === 'job-start')?.restoredFrom;
      assert.ok(typeof from === 'number' && from >= 2, `resumed from a checkpoint of the killed run, got ${String(from)}`);
      assert.match(end.stderr, /^resuming: from checkpoint \d+$/m);
    });
    checkOutput(readOutput(out), 'killed and resumed');
  });
});
