// The fraud-rules pattern on broadcast state: transactions keyed by account, rules broadcast to every instance.
// Each (transaction, rule) pair is checked exactly once whatever the arrival order: a transaction against the
// rules known when it arrives, a rule against the history of every account when it arrives (applyToKeyedState).
//   ?n=5000&accounts=50
import { defineJob, MapStateDescriptor, type Random } from '../../../../core/index.js';

const q = new URL(import.meta.url).searchParams;
const n = Number(q.get('n') ?? 5000);
const accounts = Number(q.get('accounts') ?? 50);

export interface Tx { id: number; account: string; amount: number; country: string }
export interface Rule { id: string; minAmount: number; country: string | undefined }

export const COUNTRIES = ['DE', 'FR', 'NL', 'US'];
export const RULES: Rule[] = [
  { id: 'large', minAmount: 900, country: undefined },
  { id: 'us-medium', minAmount: 500, country: 'US' },
  { id: 'nl-any', minAmount: 0, country: 'NL' },
];

export function transaction(accountsN: number): (i: number, r: Random) => Tx {
  return (i, r) => ({ id: i, account: `acc${r.int(accountsN)}`, amount: r.int(1000), country: COUNTRIES[r.int(COUNTRIES.length)]! });
}

export function matches(rule: Rule, tx: Tx): boolean {
  return tx.amount >= rule.minAmount && (rule.country === undefined || rule.country === tx.country);
}

const rulesState = new MapStateDescriptor<string, Rule>('rules');

export default defineJob((env) => {
  const txs = env.fromGenerator({ count: n, seed: 11 }, transaction(accounts)).name('transactions');
  const rules = env.fromCollection(RULES).name('rules').broadcast(rulesState);
  txs.keyBy((t) => t.account).connect(rules).process<[number, string, number]>({
    // State by name through the context, not handles kept in this object: the function object is shared by
    // every subtask the thread runs.
    processElement(tx, ctx, out) {
      for (const rule of ctx.getBroadcastState(rulesState).values()) if (matches(rule, tx)) out.collect([tx.id, rule.id, ctx.subtask]);
      ctx.listState<Tx>('history').add(tx);
    },
    processBroadcastElement(rule, ctx, out) {
      ctx.getBroadcastState(rulesState).put(rule.id, rule);
      ctx.applyToKeyedState('history', (_account, state) => {
        for (const tx of state.listState<Tx>('history').get()) if (matches(rule, tx)) out.collect([tx.id, rule.id, ctx.subtask]);
      });
    },
  }).name('fraud').collect().name('alerts');
});
