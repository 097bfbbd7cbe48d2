// Runs on: main thread. The `sluice` command line: argument handling, the job's lifecycle (start, live status,
// signals, exit codes). What the status line and the summary look like lives in status.ts.
//
// Exit codes: 0 done; 1 the job failed; 2 bad usage or a job that cannot run (JobDefinitionError, missing file);
// 130 / 143 stopped by SIGINT / SIGTERM (after a clean cancel; a second signal exits at once).

import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { run, type JobHandle, type JobResult, type RunOptions } from '../runtime/run.js';
import { JobDefinitionError } from '../api/errors.js';
import type { JobMetrics } from '../runtime/metrics.js';
import { describeJob, failureJson, formatFailure, jsonReport, rates, statusLine, summary, type JobShape } from './status.js';

const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };
const TTY_REFRESH_MS = 250;
const LOG_EVERY_MS = 5000;
const STARTED_POLL_MS = 50;
/** Rates on the live line are taken over about this window: one 250 ms step is too jumpy to read. */
const RATE_WINDOW_MS = 1000;

interface RunCommandOptions {
  parallelism?: number;
  threads?: number;
  chaining: boolean;
  bufferTimeout?: number;
  json?: boolean;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected an integer >= 1.');
  return n;
}

function nonNegative(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number >= 0.');
  return n;
}

/** Builds the command tree; `argv` is parsed by the caller. */
export function createProgram(): Command {
  const program = new Command();
  program
    .name('sluice')
    .description('A stateful stream processing engine for Node.js: runs job modules on worker threads.')
    .showHelpAfterError('(run with --help for usage)')
    // Commander exits 1 on usage errors; 2 is the convention (and what a bad job definition gives). Help: 0.
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE));

  program
    .command('run')
    .description('Run a job module (TypeScript or JavaScript) whose default export is defineJob((env) => { ... }).')
    .argument('<job>', 'path of the job module, e.g. examples/flagship.ts')
    .addOption(new Option('-p, --parallelism <n>', 'default parallelism of the operators').argParser(positiveInt)
      .default(undefined, 'available cores'))
    .addOption(new Option('-t, --threads <n>', 'worker threads').argParser(positiveInt).default(undefined, 'available cores'))
    .option('--no-chaining', 'run every operator as its own task (no chaining)')
    .addOption(new Option('--buffer-timeout <ms>', 'longest time a record waits in an unflushed output batch').argParser(nonNegative)
      .default(undefined, '1'))
    .option('--json', 'print one JSON object with the results on stdout (and nothing else on stdout)')
    .action(async (job: string, opts: RunCommandOptions) => {
      process.exitCode = await runCommand(job, opts);
    });
  return program;
}

/** Runs `sluice` with `argv` (as process.argv: node, script, args...). Sets process.exitCode. */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  await createProgram().parseAsync([...argv]);
}

async function runCommand(job: string, opts: RunCommandOptions): Promise<number> {
  const err = process.stderr;
  const file = path.resolve(job);
  // With --json, stdout carries the report only: anything else bound for it (print sinks, whose worker output is
  // piped through this thread's process.stdout, or a job's console.log) goes to stderr instead.
  const writeJson = takeStdout(opts.json === true);
  const fail = (code: number, text: string, error?: unknown): number => {
    err.write(`${text}\n`);
    if (opts.json) writeJson({ job, error: failureJson(error ?? new Error(text)) });
    return code;
  };
  if (!existsSync(file)) return fail(EXIT_USAGE, `sluice: no such job file: ${job}`);

  const parallelism = opts.parallelism ?? os.availableParallelism();
  const options: RunOptions = { parallelism, chaining: opts.chaining };
  if (opts.threads !== undefined) options.threads = opts.threads;
  if (opts.bufferTimeout !== undefined) options.bufferTimeoutMs = opts.bufferTimeout;

  // Signals: the first cancels cleanly (threads released, summary printed); a second exits at once.
  let signal: NodeJS.Signals | undefined;
  let handle: JobHandle | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (signal) process.exit(SIGNAL_EXIT[signal] ?? EXIT_FAILED);
    signal = sig;
    err.write(`${err.isTTY ? '\r\x1b[K' : ''}sluice: ${sig}: cancelling the job (again to exit now)\n`);
    void handle?.cancel().catch(() => undefined);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    try {
      handle = await run(file, options);
    } catch (e) {
      if (e instanceof JobDefinitionError) return fail(EXIT_USAGE, `sluice: ${job}: ${e.message}`, e);
      return fail(EXIT_FAILED, `sluice: ${job} could not be loaded:\n${formatFailure(e).replace(/^sluice: job failed: /, '')}${loadHint(file, e)}`, e);
    }
    // A signal that came while the job was loading: cancel now that there is something to cancel.
    if (signal) void handle.cancel().catch(() => undefined);
    const shape = describeJob(handle.plan, handle.operatorNames);
    err.write(`starting: ${job} (parallelism ${parallelism}, ${handle.plan.threads} threads; ${shape.tasks.map((t) => `${t.name} ×${t.parallelism}`).join(' | ')})\n`);
    const stopTicker = startTicker(handle, shape);
    // `running:` once every subtask's loop has reported: scripts (and the CLI's tests) wait for this line.
    if (await startedOrSettled(handle)) err.write(`${err.isTTY ? '\r\x1b[K' : ''}running: ${job}\n`);

    let result: JobResult;
    try {
      result = await handle.result;
    } catch (e) {
      stopTicker();
      err.write(`${summary(shape, { job, metrics: handle.metrics(), outcome: 'failed' })}\n`);
      return fail(signal ? SIGNAL_EXIT[signal]! : EXIT_FAILED, formatFailure(e), e);
    }
    stopTicker();
    err.write(`${summary(shape, { job, metrics: result.metrics, outcome: result.cancelled ? 'cancelled' : 'finished', collected: result.collected })}\n`);
    if (opts.json) writeJson(jsonReport(shape, { job, parallelism, cancelled: result.cancelled, metrics: result.metrics, collected: result.collected }));
    return signal ? SIGNAL_EXIT[signal]! : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The usual cause of a TypeScript job failing to load as ESM, said plainly. */
function loadHint(file: string, e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  if (!/\.tsx?$/.test(file) || !/require\(\)|ES Module|Cannot use import statement|exports is not defined/.test(message)) return '';
  return '\nsluice: hint: outside a package.json with "type": "module", a .ts file loads as CommonJS: name the job .mts, or add {"type": "module"} to its package.json';
}

/**
 * With `json`, diverts process.stdout.write to stderr and returns the one writer left to stdout. Without, the
 * returned writer is never called.
 */
function takeStdout(json: boolean): (value: unknown) => void {
  const out = process.stdout;
  const write = out.write.bind(out);
  if (json) out.write = process.stderr.write.bind(process.stderr) as typeof out.write;
  return (value) => { write(`${JSON.stringify(value)}\n`); };
}

/**
 * Resolves true once every subtask has accounted some time in the metrics (its task loop has run: threads up,
 * modules loaded), false if the job ended first.
 */
async function startedOrSettled(handle: JobHandle): Promise<boolean> {
  let settled = false;
  handle.result.then(() => { settled = true; }, () => { settled = true; });
  for (;;) {
    const m = handle.metrics();
    if (m.tasks.every((t) => t.busyMs + t.backpressuredMs + t.idleMs > 0)) return true;
    if (settled) return false;
    await new Promise((r) => setTimeout(r, STARTED_POLL_MS));
  }
}

/** The live status: a line redrawn ~4x/s on a TTY; otherwise one plain line every 5 s. Returns its stop. */
function startTicker(handle: JobHandle, shape: JobShape): () => void {
  const err = process.stderr;
  const tty = err.isTTY === true;
  const samples: JobMetrics[] = [];
  const tick = (): void => {
    const now = handle.metrics();
    // Rates over the last ~second on a TTY; since the previous line otherwise.
    while (samples.length > 1 && now.durationMs - samples[1]!.durationMs >= (tty ? RATE_WINDOW_MS : LOG_EVERY_MS)) samples.shift();
    const r = rates(shape, samples[0], now);
    samples.push(now);
    if (tty) err.write(`\r\x1b[K${statusLine(shape, r, (err.columns || 80) - 1)}`);
    else err.write(`sluice: ${statusLine(shape, r)}\n`);
  };
  const timer = setInterval(tick, tty ? TTY_REFRESH_MS : LOG_EVERY_MS);
  // The job's own threads keep the process alive; the ticker must not.
  timer.unref();
  return () => {
    clearInterval(timer);
    if (tty) err.write('\r\x1b[K');
  };
}
