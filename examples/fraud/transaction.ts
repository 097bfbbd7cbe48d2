// Runs on: the worker thread of the fraud-alerts job's `validate` operator (and a test's oracle).
//
// What a card transaction is, and the check that turns raw input (a generator's record, a parsed JSON line) into
// one: anything else is an InvalidTransactionError, which the job's error policy dead-letters with the record.

export interface Transaction {
  /** Unique per transaction (alerts name the ones they are about). */
  id: number;
  account: string;
  /** In the card's currency, two decimals. */
  amount: number;
  merchant: string;
  /** Event time: when the card was used, ms since the epoch. */
  ts: number;
}

export class InvalidTransactionError extends Error {
  override readonly name = 'InvalidTransactionError';
  readonly code = 'INVALID_TRANSACTION';
}

/** `raw` as a Transaction, or an InvalidTransactionError naming the first field that is wrong. */
export function toTransaction(raw: unknown): Transaction {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidTransactionError(`expected an object, got ${JSON.stringify(raw)}`);
  const { id, account, amount, merchant, ts } = raw as Record<string, unknown>;
  if (!Number.isSafeInteger(id)) throw new InvalidTransactionError(`id: expected an integer, got ${JSON.stringify(id)}`);
  if (typeof account !== 'string' || account === '') throw new InvalidTransactionError(`account: expected a non-empty string, got ${JSON.stringify(account)}`);
  if (typeof amount !== 'number' || !(amount >= 0) || !Number.isFinite(amount)) throw new InvalidTransactionError(`amount: expected a number >= 0, got ${JSON.stringify(amount)}`);
  if (typeof merchant !== 'string') throw new InvalidTransactionError(`merchant: expected a string, got ${JSON.stringify(merchant)}`);
  if (!Number.isSafeInteger(ts)) throw new InvalidTransactionError(`ts: expected ms since the epoch, got ${JSON.stringify(ts)}`);
  return { id: id as number, account, amount, merchant, ts: ts as number };
}
