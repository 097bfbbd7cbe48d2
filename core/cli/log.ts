// Runs on: main thread. The CLI's structured log: pino JSON lines on stderr (stdout stays for results and
// --json). Job start and end, checkpoints, restarts and warnings are events with an `event` field, so scripts
// can follow a job with `jq`. The default level (warn) keeps the human status line readable: only warnings,
// aborted checkpoints, restarts and failures appear until `--log-level info` or lower asks for more.

import pino, { type Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const DEFAULT_LOG_LEVEL: LogLevel = 'warn';

export type { Logger };

/**
 * A logger writing to `out` (stderr). On a terminal each line first clears the live status line it would
 * otherwise be glued to; the status line is redrawn on its next tick.
 */
export function createLogger(level: LogLevel, out: NodeJS.WriteStream = process.stderr): Logger {
  const tty = out.isTTY === true;
  return pino({
    name: 'sluice',
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  }, {
    // Synchronous: a line logged just before the process exits is not lost.
    write: (line: string) => { out.write(tty ? `\r\x1b[K${line}` : line); },
  });
}
