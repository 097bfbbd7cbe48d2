// Runs on: main thread and every worker thread (a job module: each builds the same graph).
//
// Fraud alerts from a stream of card transactions: the job the README's "Tutorial: fraud alerts" builds step by
// step. Two rules, each on the transactions of one account: a small transaction followed within a minute by a
// large one (keyed state and an event-time timer), and more than SPENDING_LIMIT spent in a minute (a tumbling
// event-time window). Late transactions and rejected input are written beside the alerts, never lost.
//
// transactions → validate → event-time ══keyBy(account)══▶ small-then-large ──┐
//                                      ╚═keyBy(account)══▶ spending (1 min) ──┴──▶ alerts (JSON Lines, stdout)
//
// Settings come from environment variables (examples/fraud/settings.ts): FRAUD_INPUT, FRAUD_COUNT, FRAUD_RATE,
// FRAUD_SEED, FRAUD_OUT, FRAUD_PRINT.
import {
  DEAD_LETTERS, defineJob, fileSink, jsonLines, OutputTag, TumblingEventTimeWindows, WatermarkStrategy,
  type AggregateFunction, type KeyedProcessHandler,
} from '../core/index.js';
import { cardTransaction } from './fraud/card-transactions.js';
import { fraudSettings } from './fraud/settings.js';
import { toTransaction, type Transaction } from './fraud/transaction.js';

export const SMALL_AMOUNT = 1.0;
export const LARGE_AMOUNT = 500;
export const ONE_MINUTE = 60_000;
export const SPENDING_LIMIT = 2000;

export interface Alert {
  rule: 'small-then-large' | 'spending';
  account: string;
  /** Event time of what tripped the rule: the large transaction, or the last ms of the minute. */
  ts: number;
  /** The large transaction's amount, or the minute's total. */
  amount: number;
  /** The transactions it is about. */
  txIds: number[];
}

/** A transaction that came too late for a rule (`missed`): its minute was already over. */
export type LateTransaction = Transaction & { missed: Alert['rule'] };

/** Where both rules send transactions that arrive behind the watermark. */
export const LATE = new OutputTag<Transaction>('late');

export const smallThenLarge: KeyedProcessHandler<string, Transaction, Alert> = {
  processElement(tx, ctx, out) {
    if (tx.ts <= ctx.timerService.currentWatermark()) {
      ctx.output(LATE, tx); // its minute may be over and its timer gone: too late to judge
      return;
    }
    const lastSmall = ctx.state<Transaction>('last-small');
    const small = lastSmall.value();
    if (small !== undefined) {
      // The account's next transaction after a small one: large, and within the minute? (Compare the times:
      // the timer below fires only once the watermark passes, which may be after this transaction.)
      if (tx.amount > LARGE_AMOUNT && tx.ts - small.ts <= ONE_MINUTE) {
        out.collect({ rule: 'small-then-large', account: ctx.key, ts: tx.ts, amount: tx.amount, txIds: [small.id, tx.id] });
      }
      lastSmall.clear();
      ctx.timerService.deleteEventTimeTimer(small.ts + ONE_MINUTE);
    }
    if (tx.amount < SMALL_AMOUNT) {
      lastSmall.update(tx);
      ctx.timerService.registerEventTimeTimer(tx.ts + ONE_MINUTE);
    }
  },
  onTimer(_timestamp, ctx) {
    ctx.state<Transaction>('last-small').clear(); // a minute of event time has passed: forget the small one
  },
};

interface Spend {
  total: number;
  txIds: number[];
}

export const totalSpend: AggregateFunction<Transaction, Spend, Spend> = {
  createAccumulator: () => ({ total: 0, txIds: [] }),
  add: (tx, acc) => ({ total: acc.total + tx.amount, txIds: [...acc.txIds, tx.id] }),
  getResult: (acc) => acc,
};

export function describeAlert(a: Alert): string {
  return `${a.rule.padEnd(16)} ${a.account}  ${new Date(a.ts).toISOString()}  ${a.amount.toFixed(2).padStart(8)}  tx ${a.txIds.join(',')}`;
}

export default defineJob((env) => {
  const settings = fraudSettings(process.env);

  // 1. Transactions, with their event time.
  const raw = settings.input === undefined
    ? env.fromGenerator({ count: settings.count, seed: settings.seed, ratePerSec: settings.ratePerSec }, cardTransaction)
    : env.fromFiles(settings.input, jsonLines());
  // One reader: keyBy keeps the order of each input, so every account's transactions arrive in stream order.
  const input = raw.name('transactions').setParallelism(1).onError('dead-letter');
  const valid = input.map(toTransaction).name('validate').setParallelism(1).onError('dead-letter');
  const transactions = valid
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Transaction>(5_000).withTimestampAssigner((tx) => tx.ts))
    .name('event-time').setParallelism(1);
  const byAccount = transactions.keyBy((tx) => tx.account);

  // 2. A small transaction, then a large one within a minute: keyed state and an event-time timer.
  const suspicious = byAccount.process(smallThenLarge).name('small-then-large');

  // 3. More than SPENDING_LIMIT in a minute: a tumbling event-time window per account.
  const spending = byAccount
    .window(TumblingEventTimeWindows.of(ONE_MINUTE))
    .sideOutputLateData(LATE)
    .aggregate<Spend, Spend, Alert>(totalSpend, (account, ctx, [spend], out) => {
      if (spend!.total > SPENDING_LIMIT) {
        out.collect({ rule: 'spending', account, ts: ctx.window.maxTimestamp(), amount: Math.round(spend!.total * 100) / 100, txIds: spend!.txIds });
      }
    })
    .name('spending');

  // 4. Late transactions and rejected input: side outputs, written beside the alerts.
  suspicious.getSideOutput(LATE).map((tx): LateTransaction => ({ ...tx, missed: 'small-then-large' })).name('late-for-small-then-large')
    .union(spending.getSideOutput(LATE).map((tx): LateTransaction => ({ ...tx, missed: 'spending' })).name('late-for-spending')).name('all-late')
    .sink(fileSink({ dir: `${settings.out}/late`, format: jsonLines() })).name('late');
  input.getSideOutput(DEAD_LETTERS).union(valid.getSideOutput(DEAD_LETTERS)).name('all-rejected')
    .sink(fileSink({ dir: `${settings.out}/rejected`, format: jsonLines() })).name('rejected');

  // 5. Alerts: JSON Lines files, and the terminal.
  const alerts = suspicious.union(spending).name('all-alerts');
  alerts.sink(fileSink({ dir: `${settings.out}/alerts`, format: jsonLines() })).name('alerts');
  if (settings.print) alerts.print(describeAlert).setParallelism(1).name('print');
});
