// Runs on: the benchmark's main thread, with each CLI run a child process. What a `sluice` command costs before
// it does anything: wall time from spawn to exit of `sluice --version`, `--help`, `run --help` and a status of a
// directory that is none (exits 2 after loading its command), beside what any node process pays (`node -e 0`) and
// what a checkout pays to load TypeScript (tsx's register(), as bin/sluice.mjs calls it there), interleaved.
//
//   npm run bench:cli-startup -- [--json [PATH]] [--reps 15] [--sluice DIR] [--against DIR]
//
// --sluice DIR: the sluice measured is DIR/bin/sluice.mjs (default: this checkout's; DIR may be an installed package,
// which holds dist/ only). --against DIR: also runs DIR/bin/sluice.mjs (e.g. a worktree of an older commit, with its
// node_modules), interleaved, as engine sluice.against; its output must equal the other's.
//
// Rows: benchmark cli.<command>, engines sluice (and sluice.against); p50Us / p99Us are the median and the slowest
// run's ms × 1000; outputChecksum is a hash of the exit code and stdout. The baselines are no engine, so they are
// fields of every sluice row: nodeP50Us and tsxP50Us, and overNode and overTsx, the row's median over theirs;
// againstOverSluice with --against.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { emitReport, median, parseJsonArg, type BenchResult } from './report.js';

const argv = process.argv.slice(2);
const arg = (name: string): string | undefined => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
const reps = Number(arg('--reps') ?? 15);
if (!Number.isInteger(reps) || reps < 1) throw new Error(`cli-startup: --reps must be an integer >= 1, not ${arg('--reps')}`);
const repo = fileURLToPath(new URL('../', import.meta.url));
const measured = path.resolve(arg('--sluice') ?? repo);
const against = arg('--against');

interface Way { benchmark: string; engine: string; args: string[]; cwd: string }
const COMMANDS: Record<string, string[]> = {
  'cli.version': ['--version'], 'cli.help': ['--help'], 'cli.run-help': ['run', '--help'], 'cli.status-nodir': ['status', 'no-such-state-dir'],
};
/** The baselines' rows in the measurement (not in the report). */
const BASELINE = 'baseline';
const ways: Way[] = [
  { benchmark: BASELINE, engine: 'node', args: ['-e', '0'], cwd: repo },
  // The registration bin/sluice.mjs makes in a checkout (from the checkout's directory, where tsx resolves).
  { benchmark: BASELINE, engine: 'node.tsx', args: ['--input-type=module', '-e', "import { register } from 'tsx/esm/api'; register();"], cwd: repo },
  ...Object.entries(COMMANDS).flatMap(([benchmark, args]) => [
    { benchmark, engine: 'sluice', args: [path.join(measured, 'bin', 'sluice.mjs'), ...args], cwd: repo },
    ...(against === undefined ? [] : [{ benchmark, engine: 'sluice.against', args: [path.resolve(against, 'bin', 'sluice.mjs'), ...args], cwd: repo }]),
  ]),
];
const key = (w: Way): string => `${w.benchmark} ${w.engine}`;
const ms = new Map<string, number[]>(ways.map((w) => [key(w), []]));
const sums = new Map<string, string>();

function once(w: Way): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, w.args, { cwd: w.cwd, encoding: 'utf8' });
  const took = performance.now() - t0;
  if (r.error) throw r.error;
  const sum = createHash('sha256').update(`${r.status}\n${r.stdout}`).digest('hex').slice(0, 8);
  const seen = sums.get(key(w));
  if (seen !== undefined && seen !== sum) throw new Error(`cli-startup: ${key(w)} printed something else on another run (exit ${r.status}); stderr:\n${r.stderr}`);
  sums.set(key(w), sum);
  return took;
}

// One run of each first, unmeasured: fills tsx's transform cache and the page cache.
for (const w of ways) once(w);
for (let r = 0; r < reps; r++) {
  for (let k = 0; k < ways.length; k++) {
    const w = ways[(k + r) % ways.length]!;
    ms.get(key(w))!.push(once(w));
  }
  process.stderr.write(`rep ${r + 1}/${reps}\n`);
}
for (const benchmark of Object.keys(COMMANDS)) {
  if (against !== undefined && sums.get(`${benchmark} sluice`) !== sums.get(`${benchmark} sluice.against`)) {
    throw new Error(`cli-startup: ${benchmark} differs between ${measured} and ${against} (exit code or stdout)`);
  }
}

const med = (w: string): number => median(ms.get(w)!);
const rows = ways.filter((w) => w.benchmark !== BASELINE).map((w): BenchResult => {
  const xs = ms.get(key(w))!;
  const extra: Record<string, unknown> = {
    nodeP50Us: med(`${BASELINE} node`) * 1000, tsxP50Us: med(`${BASELINE} node.tsx`) * 1000,
    overNode: median(xs) / med(`${BASELINE} node`), overTsx: median(xs) / med(`${BASELINE} node.tsx`),
  };
  if (w.engine === 'sluice' && against !== undefined) extra['againstOverSluice'] = med(`${w.benchmark} sluice.against`) / median(xs);
  return {
    benchmark: w.benchmark, engine: w.engine, parallelism: 1, repetitions: xs.length, eventsPerSec: null,
    p50Us: median(xs) * 1000, p99Us: Math.max(...xs) * 1000, rssMB: null, outputRows: null, outputChecksum: sums.get(key(w))!, bytesPerRecord: null,
    command: ['node', ...w.args.map((a) => (a.startsWith(repo) ? path.relative(repo, a) : a))].join(' '), ...extra,
  };
});
const ratio = (r: BenchResult, k: string): string | null => (typeof r[k] === 'number' ? (r[k] as number).toFixed(2) : null);
emitReport(rows, parseJsonArg(argv), {
  'node µs': (r) => Math.round(r['nodeP50Us'] as number), 'tsx µs': (r) => Math.round(r['tsxP50Us'] as number),
  'x node': (r) => ratio(r, 'overNode'), 'x tsx': (r) => ratio(r, 'overTsx'), 'against x': (r) => ratio(r, 'againstOverSluice'),
});
