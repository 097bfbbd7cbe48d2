// Runs on: main thread (a script). Writes the fraud-alerts job's generated transactions as JSON Lines on stdout,
// so a user has a file to feed the job (FRAUD_INPUT) and to edit:
//   npx tsx examples/fraud/write-transactions.ts [count, default 12000] [seed, default 42] > transactions.jsonl
import { cardTransactions } from './card-transactions.js';

const [count = '12000', seed = '42'] = process.argv.slice(2);
const n = Number(count);
const s = Number(seed);
if (!Number.isSafeInteger(n) || n < 0 || !Number.isSafeInteger(s) || s < 0) {
  process.stderr.write('usage: write-transactions.ts [count] [seed]  (integers >= 0)\n');
  process.exit(2);
}
process.stdout.write(cardTransactions(n, s).map((r) => `${JSON.stringify(r)}\n`).join(''));
