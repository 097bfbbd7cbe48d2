// Runs on: the benchmark's main thread. The runner of micro-benchmarks that push records by hand into an operator
// built from a real job graph, its fast paths on (engine `sluice`) and off (`sluice.no-fast-paths`): per case one
// verification pass per engine on a fresh operator (VERIFY records, then the final watermark), which must give the
// same outputs both ways, then the two measured interleaved (micro.ts measure) on long-lived operators, BATCH
// records a sample. Used by window-steady.ts and join-keys.ts.

import { emitReport, parseJsonArg, type BenchResult } from './report.js';
import { benchTimes, Checksum, measure, printRatios, taskRow } from './micro.js';

/** An operator fed by hand: `push` n more records, `end` with the final watermark; its sink counts and folds outputs. */
export interface Fed {
  push(n: number): void;
  end(): void;
  sink: { n: number; check: Checksum | undefined };
}

/** A benchmark: its name, and its operator with the fast paths on or off. */
export interface OnOffCase {
  name: string;
  build(fast: boolean): Fed;
}

export interface OnOffRun {
  /** Records each measured sample pushes. */
  batch: number;
  /** Records of the verification pass. */
  verify: number;
  /** The row's field counting the measured runs' outputs (`pairs`, `windowsFired`). */
  outputs: string;
  /** What no output at all means, in the error that says so ("no window fired"). */
  none: string;
}

const ENGINES = [['sluice', true], ['sluice.no-fast-paths', false]] as const;

/** Runs the cases `--only=NAME` leaves (every one without it) and reports them (`--json [PATH]`, `--quick`). */
export async function runOnOffCases(cases: readonly OnOffCase[], o: OnOffRun): Promise<void> {
  const argv = process.argv.slice(2);
  const target = parseJsonArg(argv);
  const times = benchTimes(argv);
  const only = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  const results: BenchResult[] = [];
  for (const c of cases) {
    if (only !== undefined && !c.name.includes(only)) continue;
    const checks = ENGINES.map(([, fast]) => {
      const s = c.build(fast);
      s.sink.check = new Checksum();
      s.push(o.verify);
      s.end();
      return s.sink.check;
    });
    if (checks[0]!.hex !== checks[1]!.hex || checks[0]!.rows !== checks[1]!.rows) throw new Error(`${c.name}: the fast path's outputs differ from the slow path's`);
    const runs = ENGINES.map(([, fast]) => c.build(fast));
    const m = await measure(c.name, ENGINES.map(([name], i) => [name, () => { runs[i]!.push(o.batch); }] as const), times);
    if (runs.some((s) => s.sink.n === 0)) throw new Error(`${c.name}: ${o.none}`);
    ENGINES.forEach(([name], i) => results.push(taskRow(m.get(name)!, c.name, name, o.batch, checks[i]!, { [o.outputs]: runs[i]!.sink.n })));
  }
  emitReport(results, target);
  printRatios(results, (e) => e === 'sluice.no-fast-paths');
}
