// Runs on: main thread. The levels `--log-level` takes: the command line lists them in its help without loading
// the log itself (pino), which only `sluice run` needs.

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const DEFAULT_LOG_LEVEL: LogLevel = 'silent';
