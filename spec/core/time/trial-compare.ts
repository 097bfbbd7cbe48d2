// Compares what jobs/trial.ts emitted with the oracle; returns what differs, in words, or undefined.
import type { Out } from './jobs/trial.js';
import type { TrialCase } from './trial-events.js';
import { canonOut, joinOracle, trialOracle } from './trial-oracle.js';

function diff(what: string, got: readonly Out[], want: readonly Out[]): string | undefined {
  const g = canonOut(got);
  const w = canonOut(want);
  if (g.length === w.length && g.every((x, i) => x === w[i])) return undefined;
  const count = (xs: string[]) => { const m = new Map<string, number>(); for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1); return m; };
  const gm = count(g);
  const wm = count(w);
  const missing = [...wm].filter(([x, n]) => (gm.get(x) ?? 0) < n).map(([x, n]) => `${x} x${n - (gm.get(x) ?? 0)}`);
  const extra = [...gm].filter(([x, n]) => (wm.get(x) ?? 0) < n).map(([x, n]) => `${x} x${n - (wm.get(x) ?? 0)}`);
  return `${what}: ${g.length} emitted, ${w.length} expected\n  missing: ${missing.slice(0, 12).join(' ')}\n  extra: ${extra.slice(0, 12).join(' ')}`;
}

export function compareTrial(c: TrialCase, got: readonly Out[]): string | undefined {
  const want = trialOracle(c.events, c.params);
  const isJoin = (o: Out) => o[0] === 'join' || o[0].includes('late-left') || o[0].includes('late-right');
  const problems: string[] = [];
  const rest = diff('windows and timers', got.filter((o) => !isJoin(o)), want.filter((o) => !isJoin(o)));
  if (rest) problems.push(rest);
  const lateGot = got.filter((o) => o[0] === 'late-left' || o[0] === 'late-right');
  const maybe = new Set(want.filter((o) => o[0].startsWith('maybe-late')).map((o) => `${o[0].slice(6)}/${o[2]}`));
  const wrongLate = lateGot.filter((o) => !maybe.has(`${o[0]}/${o[2]}`));
  if (wrongLate.length > 0) problems.push(`join: late though on time at the source's watermark: ${JSON.stringify(wrongLate)}`);
  const tsOf = new Map(c.events.map((e) => [e.id, e.ts]));
  const wrongStamp = lateGot.filter((o) => o[3] !== tsOf.get(o[2] as number));
  if (wrongStamp.length > 0) problems.push(`join: late records not stamped with their own time: ${JSON.stringify(wrongStamp)}`);
  const lateIds = new Set(lateGot.map((o) => o[2] as number));
  if (lateIds.size !== lateGot.length) problems.push('join: a record late twice');
  const joins = diff('join', got.filter((o) => o[0] === 'join'), joinOracle(c.events, c.params, lateIds));
  if (joins) problems.push(joins);
  return problems.length === 0 ? undefined : `${JSON.stringify(c.params)} n=${c.events.length}\n${problems.join('\n')}`;
}
