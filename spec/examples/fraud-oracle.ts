// Runs on: main thread (tests). A plain single-threaded reading of the fraud-alerts rules over transactions in
// stream order, written without any of the job's or the engine's code: what the job's alert files must hold.

import { LARGE_AMOUNT, ONE_MINUTE, SMALL_AMOUNT, SPENDING_LIMIT, type Alert } from '../../examples/fraud-alerts.js';
import type { Transaction } from '../../examples/fraud/transaction.js';

/** A transaction exactly as a plain reading of the fields says; undefined for anything else (no job code). */
export function asTransaction(r: unknown): Transaction | undefined {
  const t = r as Partial<Transaction>;
  return typeof t.account === 'string' && typeof t.amount === 'number' && typeof t.ts === 'number' && typeof t.id === 'number' ? (t as Transaction) : undefined;
}

/**
 * The alerts over `txs` in stream order, one thread, no engine: small-then-large compares each transaction of an
 * account with the one before it; spending sums each account's transactions per minute [k * 60 s, (k + 1) * 60 s).
 */
export function oracle(txs: readonly Transaction[]): Alert[] {
  const alerts: Alert[] = [];
  const previous = new Map<string, Transaction>();
  const minutes = new Map<string, { account: string; minute: number; total: number; txIds: number[] }>();
  for (const tx of txs) {
    const prev = previous.get(tx.account);
    if (prev && prev.amount < SMALL_AMOUNT && tx.amount > LARGE_AMOUNT && tx.ts - prev.ts <= ONE_MINUTE) {
      alerts.push({ rule: 'small-then-large', account: tx.account, ts: tx.ts, amount: tx.amount, txIds: [prev.id, tx.id] });
    }
    previous.set(tx.account, tx);
    const minute = Math.floor(tx.ts / ONE_MINUTE);
    const k = `${tx.account}@${minute}`;
    const m = minutes.get(k) ?? { account: tx.account, minute, total: 0, txIds: [] };
    m.total += tx.amount;
    m.txIds.push(tx.id);
    minutes.set(k, m);
  }
  for (const m of minutes.values()) {
    if (m.total > SPENDING_LIMIT) {
      alerts.push({ rule: 'spending', account: m.account, ts: (m.minute + 1) * ONE_MINUTE - 1, amount: Math.round(m.total * 100) / 100, txIds: m.txIds });
    }
  }
  return sorted(alerts);
}

export function sorted(alerts: Alert[]): Alert[] {
  const key = (a: Alert): string => `${a.rule}|${a.account}|${String(a.ts).padStart(16, '0')}|${a.txIds.join(',')}`;
  return [...alerts].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
