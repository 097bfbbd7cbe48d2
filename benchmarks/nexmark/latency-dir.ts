// Runs on: the worker threads of a Nexmark latency job (writing) and the benchmark's main thread (reading, after
// the job's result is in, when every write has returned). The files through which a latency run's source
// subtasks report what the sinks and the main thread need: a run directory holding
//
//   source-<s>.start     subtask s's schedule: when its first event fell due, at what rate (written before it
//                        emits anything, so a sink holding one of its events can read it)
//   source-<s>.end       the same plus events emitted and when the last left (written at end of input)
//   watermarks-<id>.log  one line "<watermark> <epoch ms>" per watermark advance of one source subtask
//
// Plain synchronous file writes: a few per run, and a reader never has to wait for one.

import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { NexmarkConfigError } from './config.js';
import type { WatermarkLog } from './window-closing.js';

export interface SourceStart {
  readonly subtask: number;
  readonly parallelism: number;
  /** Start of the subtask's schedule, epoch ms: its event k is due at dueAt(anchorMs, ratePerSec, k). */
  readonly anchorMs: number;
  /** Events per second of this subtask. */
  readonly ratePerSec: number;
}

export interface SourceEnd extends SourceStart {
  readonly emitted: number;
  /** When its last event left, epoch ms. */
  readonly lastEmitMs: number;
}

export function writeSourceStart(dir: string, s: SourceStart): void {
  writeFileSync(join(dir, `source-${s.subtask}.start`), JSON.stringify(s));
}

export function readSourceStart(dir: string, subtask: number): SourceStart {
  return JSON.parse(readFileSync(join(dir, `source-${subtask}.start`), 'utf8')) as SourceStart;
}

export function writeSourceEnd(dir: string, e: SourceEnd): void {
  writeFileSync(join(dir, `source-${e.subtask}.end`), JSON.stringify(e));
}

/** Every end report in the run directory, by subtask; throws if not all `parallelism` subtasks wrote one. */
export function readSourceEnds(dir: string, parallelism: number): SourceEnd[] {
  return Array.from({ length: parallelism }, (_, s) => {
    try {
      return JSON.parse(readFileSync(join(dir, `source-${s}.end`), 'utf8')) as SourceEnd;
    } catch (e) {
      throw new NexmarkConfigError(`nexmark latency: source subtask ${s} left no end report in ${dir} (${(e as Error).message})`);
    }
  });
}

/** A fresh log file for one watermark generator (it does not know its subtask, so a unique name). */
export function newWatermarkLogPath(dir: string): string {
  return join(dir, `watermarks-${randomUUID()}.log`);
}

export function appendWatermark(path: string, watermark: number, atMs: number): void {
  appendFileSync(path, `${watermark} ${atMs.toFixed(3)}\n`);
}

export function parseWatermarkLog(text: string): WatermarkLog {
  const watermarks: number[] = [];
  const atMs: number[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const [w, t] = line.split(' ');
    watermarks.push(Number(w));
    atMs.push(Number(t));
  }
  return { watermarks, atMs };
}

/** Every watermark log in the run directory. */
export function readWatermarkLogs(dir: string): WatermarkLog[] {
  return readdirSync(dir).filter((f) => f.startsWith('watermarks-')).sort().map((f) => parseWatermarkLog(readFileSync(join(dir, f), 'utf8')));
}
