// The shared benchmark JSON shape (/work/shared/benchmark-json.md), checked: what a reviewer's validator checks,
// as a function the benchmark specs call on a report. Returns the problems found (empty: the report is fine).

const REQUIRED = ['benchmark', 'engine', 'parallelism', 'repetitions', 'eventsPerSec', 'p50Us', 'p99Us', 'rssMB', 'outputRows', 'outputChecksum'] as const;
/** The engine names the shared doc lists: sluice (a variant after a dot), the baselines, the transports. */
export const ENGINE_NAME = /^(sluice(\..+)?|handwritten|rxjs|node-streams|handwritten-x2|ring-typed|ring-generic|ring-spin|ring-park|postMessage|postMessage-batched)$/;

type Row = Record<string, unknown>;

export function shapeProblems(report: unknown): string[] {
  const problems: string[] = [];
  const r = report as { machine?: Record<string, unknown>; results?: Row[] };
  const top = Object.keys(r ?? {}).sort().join(',');
  if (top !== 'machine,results') problems.push(`top-level keys: ${top}`);
  const m = r.machine ?? {};
  if (typeof m.cpus !== 'number' || typeof m.node !== 'string' || typeof m.model !== 'string') problems.push(`machine: ${JSON.stringify(m)}`);
  if (!Array.isArray(r.results) || r.results.length === 0) return [...problems, 'results: not a non-empty array'];
  for (const row of r.results) {
    const at = `${String(row.benchmark)} ${String(row.engine)}`;
    for (const k of REQUIRED) if (!(k in row)) problems.push(`${at}: no ${k}`);
    for (const [k, v] of Object.entries(row)) if (v === undefined) problems.push(`${at}: ${k} undefined`);
    if (typeof row.benchmark !== 'string') problems.push(`${at}: benchmark not a string`);
    if (typeof row.engine !== 'string' || !ENGINE_NAME.test(row.engine)) problems.push(`${at}: engine not one of the shared names`);
    if (!Number.isInteger(row.parallelism) || (row.parallelism as number) < 1) problems.push(`${at}: parallelism ${String(row.parallelism)}`);
    if (!Number.isInteger(row.repetitions) || (row.repetitions as number) < 1) problems.push(`${at}: repetitions ${String(row.repetitions)}`);
    for (const k of ['eventsPerSec', 'p50Us', 'p99Us'] as const) {
      if (row[k] !== null && !(typeof row[k] === 'number' && Number.isFinite(row[k]))) problems.push(`${at}: ${k} ${String(row[k])}`);
    }
    if (row.eventsPerSec === null && row.p50Us === null) problems.push(`${at}: no figure (eventsPerSec and p50Us both null)`);
    if (typeof row.rssMB !== 'number' && row.rssMB !== null) problems.push(`${at}: rssMB ${String(row.rssMB)}`);
    if (row.outputRows != null && !Number.isInteger(row.outputRows)) problems.push(`${at}: outputRows ${String(row.outputRows)}`);
    if (typeof row.benchmark === 'string' && row.benchmark.startsWith('transport.')) {
      if (!('checksum' in row && 'expectedChecksum' in row)) problems.push(`${at}: a transport row without checksum and expectedChecksum`);
      else if (row.checksum !== row.expectedChecksum) problems.push(`${at}: checksum ${String(row.checksum)} != expectedChecksum ${String(row.expectedChecksum)}`);
    }
  }
  // Rows of one benchmark on several engines: the same work, so the same outputs where they carry them.
  const byBenchmark = new Map<string, Row[]>();
  for (const row of r.results) byBenchmark.set(String(row.benchmark), [...(byBenchmark.get(String(row.benchmark)) ?? []), row]);
  for (const [b, rows] of byBenchmark) {
    if (new Set(rows.map((x) => x.engine)).size < 2) continue;
    const withOut = rows.filter((x) => x.outputRows != null);
    const sigs = new Set(withOut.map((x) => `${String(x.outputRows)}/${String(x.outputChecksum)}`));
    if (withOut.length > 0 && withOut.length < rows.length) problems.push(`${b}: ${rows.length - withOut.length} of ${rows.length} rows lack outputRows`);
    if (sigs.size > 1) problems.push(`${b}: outputs differ across engines: ${[...sigs].join(' ')}`);
  }
  return problems;
}
