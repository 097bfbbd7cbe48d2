// Runs on: main thread. The CLI's structured log: pino JSON lines on stderr (stdout stays for results and
// --json). Job start and end, checkpoints, restarts and warnings are events with an `event` field, so scripts
// can follow a job with `jq`. The default is no JSON at all (level 'silent'): the human lines and the status
// line stay readable, and warnings (aborted checkpoints, restarts, ...) are printed as plain `sluice: warning:`
// lines instead (warnAs below). Any other level turns the JSON log on from that level up.

import pino, { type Logger } from 'pino';
import type { LogLevel } from './log-levels.js';

export type { Logger };

/**
 * A logger writing to `out` (stderr). On a terminal each line first clears the live status line it would
 * otherwise be glued to; the status line is redrawn on its next tick.
 */
export function createLogger(level: LogLevel, out: NodeJS.WriteStream = process.stderr): Logger {
  // Synchronous (below): a line logged just before the process exits is not lost.
  const tty = out.isTTY === true;
  return pino({
    name: 'sluice',
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // A failure is logged as --json gives it (status.ts failureJson): pino's error serializer, applied to that
    // object too, appends the cause's message to a message that already ends with it.
    serializers: { err: (v: unknown) => (v instanceof Error ? pino.stdSerializers.err(v) : v) },
  }, {
    write: (line: string) => { out.write(tty ? `\r\x1b[K${line}` : line); },
  });
}

/**
 * A warning: a JSON log line when the log is on, else one human line (`sluice: warning: ...`), so the default
 * output still shows it once.
 */
export function warnAs(log: Logger, fields: Record<string, unknown>, message: string, out: NodeJS.WriteStream = process.stderr): void {
  if (log.isLevelEnabled('warn')) log.warn(fields, message);
  else if (!log.isLevelEnabled('fatal')) out.write(`${out.isTTY ? '\r\x1b[K' : ''}sluice: warning: ${message}\n`);
}
