// Runs on: main thread and every worker thread. The entry point of a job definition.
//
// A job is a module whose default export is `defineJob((env) => { ... })` (or a plain function of env). Every
// worker loads the same module and rebuilds the same graph; so a job must not build its graph from random or
// time-dependent input (the runtime checks a fingerprint and names the first operator that differs).

import { LogicalGraph, type CheckpointConfig } from '../graph/logical-graph.js';
import { checkTolerableFailures } from '../checkpoint/failure-counter.js';
import { DEFAULT_MAX_PARALLELISM } from '../graph/key-groups.js';
import { DataStream } from './data-stream.js';
import { JobDefinitionError } from './errors.js';
import { generatorSource, type GeneratorFunction, type GeneratorOptions } from '../connectors/generator.js';
import { collectionSource } from '../connectors/collection.js';
import { asyncIterableSource } from '../connectors/async-iterable.js';
import type { SourceSpec } from '../connectors/source.js';
import type { RecordFormat } from '../connectors/formats/record-format.js';
import { fileSource, type FromFilesOptions } from '../connectors/file/file-source.js';
import { socketTextSource, type SocketTextStreamOptions } from '../connectors/socket/socket-source.js';
import { redisStreamsSource, type RedisStreamsSourceOptions } from '../connectors/redis/redis-stream-source.js';
import { shownValue } from './shown-value.js';
import { isNumber } from './number-option.js';
import { checkKnownOptions } from './known-options.js';

const CHECKPOINTING_KEYS = Object.keys({ mode: true, alignmentTimeoutMs: true, tolerableFailures: true } satisfies Record<keyof Omit<CheckpointConfig, 'intervalMs'>, true>);

export class StreamEnvironment {
  /** @internal */
  readonly graph: LogicalGraph;

  /** @internal */
  constructor(parallelism: number, maxParallelism = DEFAULT_MAX_PARALLELISM) {
    this.graph = new LogicalGraph({ parallelism, maxParallelism });
  }

  /** Default parallelism of every operator that does not set its own. */
  setParallelism(parallelism: number): this {
    this.graph.defaultParallelism = parallelism;
    return this;
  }

  get parallelism(): number {
    return this.graph.defaultParallelism;
  }

  /** Number of key groups: the most parallel instances a keyed operator can ever have (default 128). */
  setMaxParallelism(maxParallelism: number): this {
    this.graph.maxParallelism = maxParallelism;
    return this;
  }

  /**
   * Checkpoints the job's state every `intervalMs` (to the state directory: RunOptions.stateDir, `--state-dir`),
   * so a failed or killed job resumes where the last checkpoint left it, with exactly-once state.
   */
  enableCheckpointing(intervalMs: number, options: Omit<CheckpointConfig, 'intervalMs'> = {}): this {
    if (!(Number.isFinite(intervalMs) && intervalMs > 0)) throw new JobDefinitionError(`enableCheckpointing: the interval must be a number of ms > 0, got ${shownValue(intervalMs)}`);
    if (options === null || typeof options !== 'object') throw new JobDefinitionError(`enableCheckpointing: options must be an object, got ${shownValue(options)}`);
    checkKnownOptions(options, CHECKPOINTING_KEYS, 'enableCheckpointing');
    if (options.tolerableFailures !== undefined) checkTolerableFailures(options.tolerableFailures, 'enableCheckpointing: tolerableFailures');
    // Here, where the job names them: run() checked them later, in a message that did not say they came from the job.
    // null is unset, as run() takes it (checkpoint-settings.ts) and as the connectors' checks do.
    const { mode, alignmentTimeoutMs } = options;
    if (mode != null && mode !== 'aligned' && mode !== 'unaligned') throw new JobDefinitionError(`enableCheckpointing: mode must be 'aligned' or 'unaligned', got ${shownValue(mode)}`);
    if (alignmentTimeoutMs != null && !(isNumber(alignmentTimeoutMs) && alignmentTimeoutMs >= 0)) throw new JobDefinitionError(`enableCheckpointing: alignmentTimeoutMs must be a number of ms >= 0 (Infinity: never), got ${shownValue(alignmentTimeoutMs)}`);
    this.graph.checkpointing = { intervalMs, ...options };
    return this;
  }

  /** How often watermark generators emit, in ms of wall time (default 200). */
  setAutoWatermarkInterval(intervalMs: number): this {
    if (!(Number.isFinite(intervalMs) && intervalMs > 0)) throw new JobDefinitionError(`setAutoWatermarkInterval: expected a number of ms > 0, got ${shownValue(intervalMs)}`);
    this.graph.autoWatermarkIntervalMs = intervalMs;
    return this;
  }

  fromSource<T>(spec: SourceSpec<T>, name?: string): DataStream<T> {
    if (!spec || typeof spec.createReader !== 'function') throw new JobDefinitionError('fromSource: expected a source spec');
    // Checked here: a source without it (JavaScript, no types) failed at start-up with a TypeError from deep in the
    // runtime ("Cannot read properties of undefined (reading 'push')"), naming nothing.
    for (const [field, ok] of [['maxParallelism', Number.isInteger(spec.maxParallelism) && spec.maxParallelism >= 1], ['enumerateSplits', typeof spec.enumerateSplits === 'function']] as const) {
      if (!ok) throw new JobDefinitionError(`fromSource: source ${name !== undefined ? `'${name}'` : `of kind ${JSON.stringify(spec.kind)}`}: ${field === 'maxParallelism' ? `maxParallelism must be an integer >= 1 (1: the source cannot be split), got ${shownValue(spec.maxParallelism)}` : 'enumerateSplits must be a function'}`);
    }
    const node = this.graph.add({ kind: 'source', inputs: [], source: spec as SourceSpec<unknown>, name: name ?? `${spec.kind}-${this.graph.nodes.length}` });
    return new DataStream<T>(this.graph, node);
  }

  /** A parallel deterministic generator: record i = fn(i, random seeded by (seed, i)). */
  fromGenerator<T>(options: GeneratorOptions, fn: GeneratorFunction<T>): DataStream<T> {
    return this.fromSource(generatorSource(options, fn));
  }

  /**
   * A bounded source over `items`, read in order by one subtask (as in Flink). `.setParallelism(n)` splits it by
   * index (subtask s reads s, s + n, ...): faster, but records of one key may then arrive out of order, as they do
   * when an operator after it runs at a higher parallelism (it deals records round-robin).
   */
  fromCollection<T>(items: readonly T[]): DataStream<T> {
    return this.fromSource(collectionSource(items));
  }

  /** A source over an async (or sync) iterable created on the worker; parallelism 1. */
  fromAsyncIterable<T>(factory: () => AsyncIterable<T> | Iterable<T>, name?: string): DataStream<T> {
    return this.fromSource(asyncIterableSource(factory, name), name);
  }

  /**
   * Records of files in a line format: `jsonLines()` or `csv({ header: true })`. `patterns`: paths,
   * directories and glob patterns; one split per file; positions are checkpointed (exactly-once on restore).
   * `follow: true` keeps reading files as they grow (unbounded).
   */
  fromFiles<T>(patterns: string | readonly string[], format: RecordFormat<T>, options: FromFilesOptions = {}): DataStream<T> {
    return this.fromSource(fileSource(patterns, format, options));
  }

  /** Lines of text from a TCP server (parallelism 1; not rewindable). Ends when the connection closes, unless `reconnect`. */
  socketTextStream(host: string, port: number, options: SocketTextStreamOptions = {}): DataStream<string> {
    return this.fromSource(socketTextSource(host, port, options));
  }

  /** Entries of Redis streams (plain or through a consumer group), exactly-once with checkpoints. Unbounded. */
  fromRedisStreams<T = unknown>(options: RedisStreamsSourceOptions<T>): DataStream<T> {
    return this.fromSource(redisStreamsSource(options));
  }
}

export type JobBuilder = (env: StreamEnvironment) => void;

export interface JobDefinition {
  readonly sluiceJob: true;
  readonly build: JobBuilder;
}

/** Declares a job: the module's default export. */
export function defineJob(build: JobBuilder): JobDefinition {
  if (typeof build !== 'function') throw new JobDefinitionError('defineJob: expected a function (env) => { ... }');
  return { sluiceJob: true, build };
}

/**
 * What a job module exports instead of a job, and the fix when a named export is the job: "must export default"
 * alone left a user who wrote `export const job = defineJob(...)` to guess what was wrong.
 */
function whatItExports(moduleExports: unknown): string {
  const m = (moduleExports !== null && typeof moduleExports === 'object' ? moduleExports : {}) as Record<string, unknown>;
  const def = m.default;
  const found = def === undefined ? 'it has no default export'
    : `its default export is ${def === null ? 'null' : Array.isArray(def) ? 'an array' : typeof def === 'object' ? 'an object that is no defineJob(...)' : `a ${typeof def}`}`;
  const names = Object.keys(m).filter((k) => k !== 'default');
  const job = names.find((k) => (m[k] as Partial<JobDefinition> | null)?.sluiceJob === true);
  return `${found}${names.length > 0 ? ` (its exports: ${names.join(', ')})` : ''}${job !== undefined ? `: make '${job}' the default export (export default defineJob(...))` : ''}`;
}

/** Builds and validates the graph of a loaded job module. */
export function buildGraph(moduleExports: unknown, parallelism: number, where: string): LogicalGraph {
  let def = (moduleExports as { default?: unknown })?.default;
  // A job compiled to CommonJS (a .ts file in a CommonJS package, through tsx): import() gives module.exports as the
  // default, and the job is its `default`, marked __esModule as compilers do.
  if (def !== null && typeof def === 'object' && (def as { __esModule?: unknown }).__esModule === true && !(def as Partial<JobDefinition>).sluiceJob) {
    def = (def as { default?: unknown }).default;
  }
  const build: JobBuilder | undefined =
    typeof def === 'function' ? (def as JobBuilder)
      : def && typeof def === 'object' && (def as JobDefinition).sluiceJob ? (def as JobDefinition).build
        : undefined;
  if (!build) throw new JobDefinitionError(`${where}: the job module must export default defineJob((env) => { ... }); ${whatItExports(moduleExports)}`);
  const env = new StreamEnvironment(parallelism);
  const built: unknown = build(env);
  // Every thread builds the graph from the module and must get all of it when the builder returns: what an async
  // builder adds after its first await would be missing, silently.
  if (typeof (built as PromiseLike<unknown> | undefined)?.then === 'function') {
    throw new JobDefinitionError(`${where}: the job builder returned a promise; define the job synchronously (defineJob((env) => { ... }), no async or await): load what it needs at the module's top level, or read it in a source or an asyncMap`);
  }
  env.graph.validate();
  return env.graph;
}
