// Runs on: main thread. The `sluice` command line: its commands, their options and help. Each command's work
// lives in its own file (run-command.ts, savepoint-command.ts, status-command.ts, cancel-command.ts, inspect.ts),
// imported by its action when it runs: --version and --help load none of them (nor the engine behind them); what
// they print in status.ts.
//
// Exit codes: 0 done (and --help); 1 the work failed (status, cancel, savepoint: also no job running in the state
// directory); 2 bad usage (an unknown command too; status, cancel, savepoint: a path that is no state directory);
// 130 / 143 a run stopped by SIGINT (or `sluice cancel`) / SIGTERM.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Help, InvalidArgumentError, Option } from 'commander';
import type { RunCommandOptions } from './run-command.js';
import type { SavepointCommandOptions } from './savepoint-command.js';
import type { StatusCommandOptions } from './status-command.js';
import type { CancelCommandOptions } from './cancel-command.js';
import type { InspectOptions } from './inspect.js';
import { EXIT_USAGE } from './exit-codes.js';
import { DEFAULT_LOG_LEVEL, LOG_LEVELS } from './log-levels.js';
import { typeScriptHooks } from '../runtime/typescript-hooks.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected an integer >= 1.');
  return n;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected an integer >= 0.');
  return n;
}

function countOrUnlimited(value: string): number {
  if (value === 'unlimited') return Infinity;
  try { return nonNegativeInt(value); } catch { throw new InvalidArgumentError('expected an integer >= 0, or unlimited.'); }
}

function nonNegative(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number >= 0.');
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number, 0 to 65535 (0: any free port).');
  return n;
}

function savepointName(value: string): string {
  if (!/^[\w.-]+$/.test(value)) throw new InvalidArgumentError('a savepoint name is letters, digits, \'.\', \'_\' and \'-\'.');
  return value;
}

/** This package's version: its package.json is above this file (core/cli/ here, dist/core/cli/ when built). */
function packageVersion(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)), up = 0; up < 4; dir = path.dirname(dir), up++) {
    const file = path.join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'sluice' && pkg.version !== undefined) return pkg.version;
  }
  return 'unknown';
}

/**
 * An option's help text, with its default's description also where the default value is left undefined (the run
 * decides it: available cores, 60000 ms, ...): commander shows a default only when its value is set, so `sluice run
 * --help` named none of these defaults.
 */
function describedDefault(this: Help, option: Option): string {
  if (option.defaultValue !== undefined || option.defaultValueDescription === undefined) return Help.prototype.optionDescription.call(this, option);
  return Help.prototype.optionDescription.call(this, Object.create(option, { defaultValue: { value: option.defaultValueDescription } }) as Option);
}

/** Builds the command tree; `argv` is parsed by the caller. */
export function createProgram(): Command {
  const program = new Command();
  program
    .name('sluice')
    .description('A stateful stream processing engine for Node.js: runs job modules on worker threads.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ optionDescription: describedDefault })
    // Commander exits 1 on usage errors; 2 is the convention (and what a graph sluice refuses gives). Help: 0.
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE));

  program
    .command('run')
    .summary('run a job module')
    .description('Run a job module (TypeScript or JavaScript) whose default export is defineJob((env) => { ... }).')
    .argument('<job>', 'path of the job module, e.g. examples/flagship.ts')
    .addOption(new Option('-p, --parallelism <n>', 'default parallelism of the operators').argParser(positiveInt)
      .default(undefined, 'available cores'))
    .addOption(new Option('-t, --threads <n>', 'worker threads').argParser(positiveInt).default(undefined, 'available cores'))
    .option('--no-chaining', 'run every operator as its own task (no chaining)')
    .addOption(new Option('--buffer-timeout <ms>', 'longest time a record waits in an unflushed output batch').argParser(nonNegative)
      .default(undefined, '1'))
    .addOption(new Option('--worker-heap-mb <mb>', 'heap limit of each worker thread, where keyed state lives').argParser(positiveInt).default(undefined, '2048'))
    .option('--json', 'print one JSON object with the results on stdout (and nothing else on stdout)')
    .optionsGroup('Checkpoints and state:')
    .addOption(new Option('--state-dir <dir>', 'where checkpoints and savepoints live (turns checkpointing on; periodic checkpoints need an interval too)').default(undefined, '.sluice/<job name> when checkpointing'))
    .addOption(new Option('--checkpoint-interval <ms>', 'take a checkpoint this often (0: only on request)').argParser(nonNegativeInt)
      .default(undefined, 'the job\'s env.enableCheckpointing, else 0'))
    .addOption(new Option('--checkpoint-mode <mode>', 'how barriers pass through operators').choices(['aligned', 'unaligned']).default(undefined, 'aligned'))
    .addOption(new Option('--checkpoint-timeout <ms>', 'abort a checkpoint not complete after this long').argParser(positiveInt).default(undefined, '60000'))
    .addOption(new Option('--tolerable-checkpoint-failures <n>', 'checkpoints in a row that may fail before the job fails and restarts from the last completed one (ends a job hung in user code), or unlimited')
      .argParser(countOrUnlimited).default(undefined, 'the job\'s enableCheckpointing option, else unlimited'))
    .addOption(new Option('--resume', 'resume from the latest intact checkpoint or savepoint in the state directory (start fresh if none)')
      .conflicts(['fromSavepoint', 'fromCheckpoint']))
    .addOption(new Option('--from-savepoint <name>', 'resume from the savepoint of this name').argParser(savepointName).conflicts(['fromCheckpoint']))
    .addOption(new Option('--from-checkpoint <id>', 'resume from this checkpoint id (see sluice inspect)').argParser(positiveInt))
    .option('--allow-non-restored-state', 'resume even if the checkpoint holds state of operators the job no longer has (that state is dropped)')
    .optionsGroup('Observability:')
    .addOption(new Option('--metrics-port <port>', 'serve Prometheus metrics at http://<host>:<port>/metrics (0: any free port, printed)').argParser(port))
    .addOption(new Option('--metrics-host <host>', 'interface the metrics endpoint listens on').default('127.0.0.1'))
    .addOption(new Option('--latency-tracking <ms>', 'sources send a latency marker this often; sinks report end-to-end latency (0: off)').argParser(nonNegative)
      .default(undefined, '0'))
    .addOption(new Option('--log-level <level>', 'JSON log lines (pino) on stderr from this level up; silent: none, warnings as plain lines')
      .choices([...LOG_LEVELS]).default(DEFAULT_LOG_LEVEL))
    .action(async (job: string, opts: RunCommandOptions) => {
      // Before anything of the job's loads: a job module is TypeScript. Where this file is TypeScript itself (a
      // checkout), a loader is there already: bin/sluice.mjs registered tsx for sluice's own sources.
      if (!import.meta.url.endsWith('.ts')) await typeScriptHooks();
      const { runCommand } = await import('./run-command.js');
      process.exitCode = await runCommand(job, opts);
    });

  program
    .command('savepoint')
    .summary('take a savepoint of a running job (or delete one)')
    .description('Take a savepoint of the job running with a state directory (from another terminal), and print it (exit 1 if no job runs there, 2 if the path is no state directory). With --delete, delete the savepoint of that name (through the job running there, or in the directory when none is).')
    .argument('<state-dir>', 'the running job\'s state directory (its --state-dir); with --delete, any state directory')
    .argument('[name]', 'the savepoint\'s name (letters, digits, \'.\', \'_\', \'-\')', savepointName)
    .option('--json', 'print the savepoint as one JSON object on stdout')
    .addOption(new Option('--stop', 'then stop the job, before anything after the savepoint is published (to upgrade or move it)').conflicts(['delete']))
    .option('--delete', 'delete the savepoint of this name instead (its checkpoint too, unless --resume would take it; with a job running, its retention decides)')
    .addOption(new Option('--timeout <ms>', 'give up waiting for the job after this long (0: wait as long as it takes)').argParser(nonNegativeInt).default(0))
    .action(async (stateDir: string, name: string | undefined, opts: SavepointCommandOptions) => {
      const { savepointCommand } = await import('./savepoint-command.js');
      process.exitCode = await savepointCommand(stateDir, name, opts);
    });

  program
    .command('status')
    .summary('show how a running job is doing')
    .description('Show the status of the job running with a state directory (from another terminal): job, pid, uptime, restarts, checkpoints, per-operator records and rates, per-task backpressure, watermarks and watermark lag. Exit 1 if no job runs there, 2 if the path is no state directory.')
    .argument('<state-dir>', 'the running job\'s state directory (its --state-dir)')
    .option('--json', 'print the status as one JSON object on stdout')
    .addOption(new Option('--timeout <ms>', 'give up waiting for the job after this long (0: wait as long as it takes)').argParser(nonNegativeInt).default(0))
    .action(async (stateDir: string, opts: StatusCommandOptions) => {
      const { statusCommand } = await import('./status-command.js');
      process.exitCode = await statusCommand(stateDir, opts);
    });

  program
    .command('cancel')
    .summary('cancel a running job (no savepoint)')
    .description('Cancel the job running with a state directory (from another terminal), as Ctrl-C in its terminal does: no savepoint is taken, and `sluice run` exits 130; its checkpoints stay for --resume. To stop with a savepoint (to upgrade or move the job), use `sluice savepoint <state-dir> [name] --stop` instead. Waits until the job has ended; exit 1 if no job runs there, 2 if the path is no state directory.')
    .argument('<state-dir>', 'the running job\'s state directory (its --state-dir)')
    .option('--json', 'print what was cancelled as one JSON object on stdout')
    .addOption(new Option('--timeout <ms>', 'give up waiting for the job to end after this long (0: wait as long as it takes)').argParser(nonNegativeInt).default(0))
    .action(async (stateDir: string, opts: CancelCommandOptions) => {
      const { cancelCommand } = await import('./cancel-command.js');
      process.exitCode = await cancelCommand(stateDir, opts);
    });

  program
    .command('inspect')
    .summary('list or show the checkpoints of a state directory')
    .description('List the checkpoints and savepoints of a state directory (verifying every chunk), or show one in detail.')
    .argument('<state-dir>', 'a state directory (a running job\'s too: inspect reads a copy, never the directory itself)')
    .addOption(new Option('--checkpoint <id>', 'show this checkpoint: operators, key groups, state sizes, sample keys, source positions').argParser(positiveInt))
    .addOption(new Option('--savepoint <name>', 'show the savepoint of this name').argParser(savepointName).conflicts(['checkpoint']))
    .addOption(new Option('--keys <n>', 'sample keys shown per keyed operator').argParser(nonNegativeInt).default(5))
    .option('--all-key-groups', 'list every key group (default: the first 8)')
    .option('--no-verify', 'do not read and hash every chunk')
    .option('--json', 'print the facts as one JSON object on stdout')
    .action(async (stateDir: string, opts: InspectOptions) => {
      const { inspectCommand } = await import('./inspect.js');
      process.exitCode = await inspectCommand(stateDir, opts);
    });
  return program;
}

/** Runs `sluice` with `argv` (as process.argv: node, script, args...). Sets process.exitCode. */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  const program = createProgram();
  await program.parseAsync(withoutHelpOfUnknown(program, argv));
}

/**
 * Commander answers `--help` before it looks at the command: `sluice nosuch --help` printed the top-level help and
 * exited 0, as if the command existed. Without its --help, an unknown command gets commander's own error (exit 2).
 */
function withoutHelpOfUnknown(program: Command, argv: readonly string[]): string[] {
  const first = argv[2];
  if (first === undefined || first.startsWith('-')) return [...argv];
  const known = program.commands.some((c) => c.name() === first || c.aliases().includes(first)) || first === 'help';
  return known ? [...argv] : argv.filter((a, i) => i < 2 || (a !== '--help' && a !== '-h'));
}
