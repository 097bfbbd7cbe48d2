// Runs on: main thread (a test). The README's "Tutorial: fraud alerts" shows examples/fraud-alerts.ts as it is:
// every TypeScript excerpt (pieces between `// ...` lines) is a run of the file's lines, give or take a uniform
// indent, and the output it shows for the default settings is what the job computes (by the oracle).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describeAlert } from '../../examples/fraud-alerts.js';
import { cardTransactions } from '../../examples/fraud/card-transactions.js';
import { fraudSettings } from '../../examples/fraud/settings.js';
import type { Transaction } from '../../examples/fraud/transaction.js';
import { asTransaction, oracle } from './fraud-oracle.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const job = readFileSync(new URL('../../examples/fraud-alerts.ts', import.meta.url), 'utf8').split('\n');

function tutorial(): string {
  const start = readme.indexOf('\n## Tutorial: fraud alerts\n');
  assert.ok(start >= 0, 'the README has the tutorial');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** The fenced code blocks of `text` whose info string is `lang` ('' for plain ones). */
function codeBlocks(text: string, lang: string): string[] {
  const blocks: string[] = [];
  let open: { lang: string; lines: string[] } | undefined;
  for (const line of text.split('\n')) {
    if (open === undefined) {
      if (line.startsWith('```')) open = { lang: line.slice(3).trim(), lines: [] };
    } else if (line === '```') {
      if (open.lang === lang) blocks.push(open.lines.join('\n'));
      open = undefined;
    } else {
      open.lines.push(line);
    }
  }
  return blocks;
}

/** Where `piece` occurs in the file's lines with one indent added to all its non-blank lines, or -1. */
function find(piece: string[]): number {
  for (let at = 0; at + piece.length <= job.length; at++) {
    const first = job[at]!;
    if (!first.endsWith(piece[0]!)) continue;
    const indent = first.slice(0, first.length - piece[0]!.length);
    if (indent.trim() !== '') continue;
    if (piece.every((l, k) => (l === '' ? job[at + k]!.trim() === '' : job[at + k] === indent + l))) return at;
  }
  return -1;
}

test('every TypeScript excerpt of the tutorial is the example file\'s own code', () => {
  const blocks = codeBlocks(tutorial(), 'ts');
  assert.ok(blocks.length >= 5, `one excerpt per step at least, found ${blocks.length}`);
  for (const block of blocks) {
    const pieces = block.split(/^\s*\/\/ \.\.\.\n/m).map((p) => p.replace(/\n$/, '').split('\n'));
    for (const piece of pieces) assert.ok(find(piece) >= 0, `not in examples/fraud-alerts.ts as shown:\n${piece.join('\n')}`);
  }
});

test('the output the tutorial shows is what the job computes with the default settings', () => {
  const settings = fraudSettings({});
  const txs = cardTransactions(settings.count, settings.seed).map(asTransaction).filter((t): t is Transaction => t !== undefined);
  const alerts = oracle(txs);
  const text = tutorial();
  const shown = codeBlocks(text, '').join('\n');
  for (const line of shown.split('\n').filter((l) => /^(small-then-large|spending) /.test(l))) {
    assert.ok(alerts.some((a) => describeAlert(a) === line), `an alert the job raises: ${line}`);
  }
  const row = (op: string): number[] => {
    // records in, records out, to side outputs, dropped, dead-lettered
    const m = new RegExp(`^  ${op} +\\d+ +([\\d,]+) +([\\d,]+) +([\\d,]+) +([\\d,]+) +([\\d,]+)$`, 'm').exec(shown);
    assert.ok(m, `the summary shows ${op}`);
    return [m[1]!, m[2]!, m[3]!, m[4]!, m[5]!].map((n) => Number(n.replace(/,/g, '')));
  };
  assert.deepEqual(row('transactions'), [settings.count, settings.count, 0, 0, 0]);
  assert.deepEqual(row('validate'), [settings.count, txs.length, 0, 0, settings.count - txs.length]);
  // The late transactions go to each rule's late output (the generator plants one every two minutes of event time).
  const [inS, outS, lateS, ...restS] = row('small-then-large');
  assert.deepEqual([inS, outS, restS], [txs.length, alerts.filter((a) => a.rule === 'small-then-large').length, [0, 0]]);
  const [inP, outP, lateP, ...restP] = row('spending');
  assert.deepEqual([inP, outP, restP], [txs.length, alerts.filter((a) => a.rule === 'spending').length, [0, 0]]);
  assert.ok(lateS! > 0 && lateS === lateP, `late transactions to the late outputs: ${lateS}, ${lateP}`);
});

// Regression: the tutorial killed the job with `pkill -9 -f 'sluice.mjs run examples/fraud-alerts.ts'`, which on
// a shared machine kills every run of the example, anyone's. It kills the pid `sluice status` reports for the state
// directory its own run uses.
test('the tutorial stops only the job it started: no kill by name, the pid of its own state directory', () => {
  const shell = codeBlocks(tutorial(), 'sh').join('\n');
  const lines = shell.split('\n').filter((l) => !l.trimStart().startsWith('#'));
  assert.deepEqual(lines.filter((l) => /\b(pkill|killall)\b/.test(l)), [], 'no kill by command line or name');
  const kills = lines.filter((l) => /^kill\b/.test(l.trim()));
  assert.equal(kills.length, 1, `one kill: ${kills.join('\n')}`);
  const dir = /--state-dir (\S+)/.exec(lines.find((l) => l.includes('--checkpoint-interval') && !l.includes('--resume')) ?? '')?.[1];
  assert.ok(dir !== undefined, 'the killed run has a state directory');
  assert.match(kills[0]!, new RegExp(`sluice -- status ${dir.replace(/[./]/g, '\\$&')} --json \\| node -p 'JSON\\.parse\\(require\\("fs"\\)\\.readFileSync\\(0, "utf8"\\)\\)\\.pid'`));
});
