// Runs on: main thread. A running job's local control channel, so another process (`sluice savepoint <state-dir>`,
// `sluice status`, `sluice cancel`) can ask it for a savepoint, a checkpoint, its status or its end: a Unix domain socket in the job's state directory (a named pipe on
// Windows). Local only, and only as reachable as the state directory is: no network port, no authentication.
//
// Protocol: the client sends one JSON line, the server answers with one JSON line and closes the connection.
//   {"op":"savepoint","name":"nightly"}   -> {"ok":true,"checkpoint":{"id":12,"kind":"savepoint",...}}
//   {"op":"savepoint","name":"v2","stop":true} -> the same, and the job stops (nothing after it published)
//   {"op":"delete-savepoint","name":"v1"} -> {"ok":true,"deleted":{"name":"v1","id":9,...}} (the name; retention the rest)
//   {"op":"checkpoint"}                   -> {"ok":true,"checkpoint":{...}}
//   {"op":"status"}                       -> {"ok":true,"status":{"pid":..,"stateDir":..,"checkpoints":{..},"metrics":{..},..}}
//   {"op":"cancel"}                       -> {"ok":true,"cancelled":{"cancelled":true,"pid":..,"durationMs":..,"checkpoints":{..}}} once the job
//                                            has ended (as JobHandle.cancel: no savepoint)
//   anything that fails                   -> {"ok":false,"error":{"name":"..","message":".."}}, and for a public error
//                                            class "type" and its fields (control-errors.ts: the client rebuilds it)
//
// The socket file goes when the server closes (the job ended, or close()), and at process exit. A process killed
// with SIGKILL leaves it behind: a new server finds nobody answering on it and replaces it. The server binds a name
// of its own and renames it into place, and removes the socket only while the file there is still its own: libuv
// unlinks the bound name by path when a server closes, which would remove the socket of a later job that had
// replaced it. On closing, connections that sent no request are dropped, or an idle client keeps `sluice run` from
// exiting after its job ended.

import type { DeletedSavepoint } from '../checkpoint/delete-savepoint.js';
import { newestCompleted } from '../checkpoint/checkpoint-history.js';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, renameSync, unlinkSync } from 'node:fs';
import { pathIdentity, sameFile as sameIdentity, type FileIdentity as Identity } from '../connectors/file/file-identity.js';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { JobHandle } from './job-handle.js';
import type { CompletedCheckpoint } from '../checkpoint/coordinator.js';
import type { JobMetrics } from './metrics.js';
import { checkKnownOptions } from '../api/known-options.js';
import { shownValue } from '../api/shown-value.js';
import { NotCheckpointingError } from '../api/errors.js';
import { controlError, controlErrorBody, type ControlErrorBody } from './control-errors.js';

/** Name of the socket in the state directory. */
export const CONTROL_SOCKET = 'control.sock';
/** Longest socket path we put in the state directory (sun_path holds 108 bytes on Linux, 104 on macOS). */
const MAX_SOCKET_PATH = 100;
/** Requests are a few dozen bytes: anything much longer is not a client of ours. */
const MAX_REQUEST_BYTES = 64 * 1024;
/** After the server closes, how long a request still being answered may keep its connection. */
const CLOSE_GRACE_MS = 2_000;
/** How often the server keeps a metrics sample, so a status has rates of the last second or two, not the run's average. */
const RATE_SAMPLE_MS = 1_000;

/** `stop`: then stop the job (JobHandle.stopWithSavepoint). */
export type ControlRequest =
  | { op: 'savepoint'; name: string; stop?: boolean } | { op: 'delete-savepoint'; name: string } | { op: 'checkpoint' } | { op: 'status' } | { op: 'cancel' };

export interface ControlStatus {
  pid: number;
  stateDir: string;
  /** The job's name and module (as its server was told: `sluice run` gives both), or null. */
  job: string | null;
  file: string | null;
  /** When the job started (ISO 8601; restarts within the run included in its uptime). */
  startedAt: string;
  uptimeMs: number;
  parallelism: number;
  restarts: number;
  /**
   * Between two attempts (after a failure, before the next attempt runs): the restart being prepared, how long
   * until its delay ends (0: over, the attempt is starting) and the checkpoint it restarts from; null while an
   * attempt runs. (Absent from an older sluice's answer.)
   */
  restarting?: { restart: number; inMs: number; from: number | null } | null;
  /** The failure behind the latest restart, and how long ago it was; null before any. */
  lastFailure?: { name: string; message: string; at: string; agoMs: number } | null;
  restoredFrom: number | null;
  checkpoints: { completed: number; aborted: number; latest: CompletedCheckpoint | null };
  /** The tasks (chains of operators) in plan order, and the names of the sources. */
  tasks: { name: string; parallelism: number; operators: string[] }[];
  sources: string[];
  /** Live metrics now, and a sample one to two seconds older (null for about the first two seconds): rates between them. */
  metrics: JobMetrics;
  earlier: JobMetrics | null;
}

/** What a cancel through the control socket reports, once the job has ended. */
export interface CancelledJob {
  /** False: the job had reached the end of its input (or stopped with a savepoint) before the cancel took. */
  cancelled: boolean;
  pid: number;
  durationMs: number;
  restarts: number;
  checkpoints: { completed: number; aborted: number; latest: CompletedCheckpoint | null };
}

export type ControlResponse =
  | { ok: true; checkpoint: CompletedCheckpoint }
  | { ok: true; status: ControlStatus }
  | { ok: true; deleted: DeletedSavepoint }
  | { ok: true; cancelled: CancelledJob }
  | { ok: false; error: ControlErrorBody };

/** What the serving side tells the control channel beyond the handle. */
export interface ControlOptions {
  /** Shown by `sluice status`. */
  job?: string;
  file?: string;
  /** Called when a cancel arrives, before the job is cancelled (`sluice run` says so, and exits as on SIGINT). */
  onCancel?: () => void;
}

// Every option by name: the compiler refuses this list when ControlOptions changes and it does not follow.
const CONTROL_OPTION_KEYS = Object.keys({ job: true, file: true, onCancel: true } satisfies Record<keyof ControlOptions, true>);

/** The job answering on a state directory's control socket writes its checkpoints into an older, removed one. */
export class StateDirReplacedError extends Error {
  constructor(readonly stateDir: string) {
    super(`the job answering here was started with a state directory ${stateDir} that has been removed or replaced since: its checkpoints go to the old one, not to this directory; stop that job (pid ${process.pid})`);
    this.name = 'StateDirReplacedError';
  }
}

/** No job answers on the state directory's control socket. */
export class NoJobRunningError extends Error {
  constructor(readonly stateDir: string, detail: string) {
    super(`no sluice job is running with state directory ${stateDir} (${detail})`);
    this.name = 'NoJobRunningError';
  }
}

/**
 * Where the control socket of a state directory lives: `<stateDir>/control.sock`, or, when that path is too long
 * for a Unix socket, a name in the temp directory derived from the state directory (both sides compute the same).
 */
export function controlSocketPath(stateDir: string): string {
  const dir = path.resolve(stateDir);
  const hash = createHash('sha256').update(dir).digest('hex').slice(0, 16);
  if (process.platform === 'win32') return `\\\\.\\pipe\\sluice-${hash}`;
  const inDir = path.join(dir, CONTROL_SOCKET);
  return Buffer.byteLength(inDir) <= MAX_SOCKET_PATH ? inDir : path.join(os.tmpdir(), `sluice-${hash}.sock`);
}

export interface ControlServer {
  /** The socket's path. */
  readonly path: string;
  /** Stops serving and removes the socket file. */
  close(): Promise<void>;
}

/**
 * Serves the control channel of a running, checkpointing job. It closes by itself when the job ends. Rejects when
 * another live process serves the same state directory.
 */
export async function serveControl(handle: JobHandle, stateDir: string | undefined = handle.stateDir, options: ControlOptions = {}): Promise<ControlServer> {
  if (options === null || typeof options !== 'object') throw new TypeError(`serveControl: options must be an object, got ${shownValue(options)}`);
  checkKnownOptions(options, CONTROL_OPTION_KEYS, 'serveControl', (m) => new TypeError(m));
  if (stateDir === undefined) throw new NotCheckpointingError('serveControl: the job has no state directory (it does not checkpoint): give it one (stateDir, or env.enableCheckpointing in the job)');
  const dir = path.resolve(stateDir);
  const socketPath = controlSocketPath(dir);
  const identity = fileIdentity(dir);
  /** Open connections, and whether each has a request being answered. */
  const connections = new Map<net.Socket, { busy: boolean }>();
  // The two newest samples: the older is one to two seconds old.
  const samples: JobMetrics[] = [];
  const serving: Serving = { handle, stateDir: dir, options, earlier: () => (samples.length === 2 ? samples[0]! : null) };
  const server = net.createServer((socket) => {
    const c = { busy: false };
    connections.set(socket, c);
    socket.once('close', () => connections.delete(socket));
    answer(serving, identity, socket, c);
  });
  const own = await listen(server, socketPath);
  const sampler = setInterval(() => {
    samples.push(handle.metrics());
    if (samples.length > 2) samples.shift();
  }, RATE_SAMPLE_MS);
  sampler.unref();
  // A process that exits without closing (process.exit on a second signal) still removes its socket.
  const onExit = (): void => removeOwnSocket(socketPath, own);
  process.on('exit', onExit);
  let closed: Promise<void> | undefined;
  // The promise waits for the connections still answering a request (at most CLOSE_GRACE_MS).
  const close = (): Promise<void> => (closed ??= new Promise<void>((resolve) => {
    process.off('exit', onExit);
    clearInterval(sampler);
    removeOwnSocket(socketPath, own);
    server.close(() => resolve());
    for (const [socket, c] of connections) if (!c.busy) socket.destroy();
    const late = setTimeout(() => { for (const socket of connections.keys()) socket.destroy(); }, CLOSE_GRACE_MS);
    late.unref();
  }));
  handle.result.then(close, close);
  return { path: socketPath, close };
}

/** A file's device and inode (file-identity.ts): whether a path still names the same file. */
type FileIdentity = Identity | undefined;

function fileIdentity(file: string): FileIdentity {
  return process.platform === 'win32' ? undefined : pathIdentity(file);
}

function sameFile(a: FileIdentity, b: FileIdentity): boolean {
  return a !== undefined && b !== undefined && sameIdentity(a, b);
}

function removeSocket(socketPath: string): void {
  if (process.platform === 'win32') return;
  try { unlinkSync(socketPath); } catch { /* already gone */ }
}

/** Removes the socket file if it is still the one this server put there. */
function removeOwnSocket(socketPath: string, own: FileIdentity): void {
  if (sameFile(fileIdentity(socketPath), own)) removeSocket(socketPath);
}

/**
 * Listens on `socketPath`, replacing a stale socket file nobody answers on; returns the socket file's identity.
 * Binds a name of its own beside it (`.s<pid>-<random>`: at most two bytes longer than 'control.sock', and the
 * socket's path is at most MAX_SOCKET_PATH), then renames it into place, so libuv's unlink at close removes that name, not the socket.
 */
async function listen(server: net.Server, socketPath: string): Promise<FileIdentity> {
  const attempt = (at: string): Promise<void> => new Promise((resolve, reject) => {
    const onError = (e: Error): void => { server.off('listening', onListening); reject(e); };
    const onListening = (): void => { server.off('error', onError); resolve(); };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(at);
  });
  if (process.platform === 'win32') {
    await attempt(socketPath);
    return undefined;
  }
  if (existsSync(socketPath) && await answers(socketPath)) {
    throw new Error(`another job (in another process, or in this one) is serving the control socket ${socketPath}: is another job running with this state directory?`);
  }
  // Random beside the pid: two jobs of one process may be starting at once.
  const bound = path.join(path.dirname(socketPath), `.s${process.pid}-${randomBytes(2).toString('hex')}`);
  // One of a dead process whose pid this one has now.
  removeSocket(bound);
  await attempt(bound);
  const own = fileIdentity(bound);
  try {
    renameSync(bound, socketPath);
  } catch (e) {
    // Not left listening under a name nobody knows (it would keep the process alive).
    server.close();
    throw e;
  }
  return own;
}

/** Whether a live process accepts connections on the socket. */
function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(socketPath);
    c.once('connect', () => { c.destroy(); resolve(true); });
    c.once('error', () => resolve(false));
  });
}

/** What a request is answered from. */
interface Serving {
  handle: JobHandle;
  stateDir: string;
  options: ControlOptions;
  earlier(): JobMetrics | null;
}

function answer(serving: Serving, identity: FileIdentity, socket: net.Socket, state: { busy: boolean }): void {
  let buf = '';
  let done = false;
  const reply = (r: ControlResponse): void => {
    if (done) return;
    done = true;
    socket.end(`${JSON.stringify(r)}\n`);
  };
  const fail = (e: unknown): void => reply({ ok: false, error: controlErrorBody(e) });
  socket.setEncoding('utf8');
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: string) => {
    if (done) return;
    buf += chunk;
    if (buf.length > MAX_REQUEST_BYTES) { fail(new Error('request too long')); return; }
    const nl = buf.indexOf('\n');
    if (nl < 0) return;
    let req: ControlRequest;
    try {
      req = JSON.parse(buf.slice(0, nl)) as ControlRequest;
    } catch {
      fail(new Error('the request is not a JSON line'));
      return;
    }
    state.busy = true;
    // The job writes its checkpoints into the directory it opened: one removed or replaced since (a new one at the
    // same path) would take a savepoint nobody can resume from, reported as completed. A cancel is what the error
    // asks for, so it goes through.
    if (req?.op !== 'cancel' && identity !== undefined && !sameFile(fileIdentity(serving.stateDir), identity)) {
      fail(new StateDirReplacedError(serving.stateDir));
      return;
    }
    handle1(serving, req).then(reply, fail);
  });
}

async function handle1({ handle, stateDir, options, earlier }: Serving, req: ControlRequest): Promise<ControlResponse> {
  switch (req?.op) {
    case 'savepoint': return { ok: true, checkpoint: await (req.stop === true ? handle.stopWithSavepoint(req.name) : handle.savepoint(req.name)) };
    case 'delete-savepoint': return { ok: true, deleted: await handle.deleteSavepoint(req.name) };
    case 'checkpoint': return { ok: true, checkpoint: await handle.checkpoint() };
    case 'status': {
      const c = handle.checkpoints();
      const metrics = handle.metrics();
      const now = Date.now();
      const restarting = handle.restarting();
      const failure = handle.lastFailure();
      return {
        ok: true,
        status: {
          pid: process.pid, stateDir, job: options.job ?? null, file: options.file ?? null,
          startedAt: new Date(Date.now() - metrics.durationMs).toISOString(), uptimeMs: Math.round(metrics.durationMs),
          parallelism: handle.parallelism, restarts: handle.restarts(), restoredFrom: handle.restoredFrom ?? null,
          restarting: restarting ? { restart: restarting.restart, inMs: Math.max(0, restarting.attemptAt - now), from: restarting.from ?? null } : null,
          lastFailure: failure ? { name: failure.name, message: failure.message, at: new Date(failure.at).toISOString(), agoMs: now - failure.at } : null,
          checkpoints: { completed: c.completedTotal, aborted: c.abortedTotal, latest: newestCompleted(c) ?? null },
          tasks: handle.plan.tasks.map((t) => ({ name: t.name, parallelism: t.parallelism, operators: t.nodeIds.map((id) => handle.operatorNames[id]!) })),
          sources: handle.sources.map((s) => s.name),
          metrics, earlier: earlier(),
        },
      };
    }
    case 'cancel': {
      options.onCancel?.();
      // Answered once the job has ended: the state directory is free then, for a resume or inspect.
      const r = await handle.cancel();
      const c = r.checkpoints;
      return {
        ok: true,
        cancelled: {
          cancelled: r.cancelled && r.stoppedWithSavepoint === undefined, pid: process.pid, durationMs: Math.round(r.metrics.durationMs), restarts: r.restarts,
          checkpoints: { completed: c.completedTotal, aborted: c.abortedTotal, latest: newestCompleted(c) ?? null },
        },
      };
    }
    default: throw new Error(`unknown request ${JSON.stringify((req as { op?: unknown })?.op)}: expected savepoint, delete-savepoint, checkpoint, status or cancel`);
  }
}

/**
 * Sends one request to the job running with `stateDir` and returns its answer. Rejects with NoJobRunningError
 * when nothing answers there, and with the job's error when it answers that the request failed: the public class it
 * was (NotCheckpointingError, CheckpointRefusedError, JobNotRunningError, ... with their fields), else an Error
 * with its name.
 */
export function requestControl(stateDir: string, req: ControlRequest, timeoutMs = 0): Promise<ControlResponse & { ok: true }> {
  const dir = path.resolve(stateDir);
  const socketPath = controlSocketPath(dir);
  return new Promise((resolve, reject) => {
    if (process.platform !== 'win32' && !existsSync(socketPath)) {
      reject(new NoJobRunningError(dir, `no control socket at ${socketPath}`));
      return;
    }
    const c = net.connect(socketPath);
    let buf = '';
    let timer: NodeJS.Timeout | undefined;
    if (timeoutMs > 0) {
      // The job may still complete the request (a savepoint then appears under its name, refusing a retry): say so.
      timer = setTimeout(() => {
        c.destroy();
        reject(new Error(`the job did not answer within ${timeoutMs} ms; it may still complete the ${req.op}${req.op === 'savepoint' ? ` (see \`sluice inspect ${dir}\` before taking it again)` : ''}`));
      }, timeoutMs);
    }
    c.setEncoding('utf8');
    c.once('connect', () => c.write(`${JSON.stringify(req)}\n`));
    c.on('data', (d: string) => { buf += d; });
    c.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ECONNREFUSED' || e.code === 'ENOENT') reject(new NoJobRunningError(dir, `nothing answers on ${socketPath}: a stale socket of a process that was killed?`));
      else reject(e);
    });
    c.once('close', () => {
      clearTimeout(timer);
      const line = buf.split('\n')[0] ?? '';
      if (line === '') { reject(new Error(`the job closed the control connection without an answer (it may have stopped)`)); return; }
      let r: ControlResponse;
      try { r = JSON.parse(line) as ControlResponse; } catch { reject(new Error(`the control socket answered something that is not JSON: ${line.slice(0, 200)}`)); return; }
      if (r.ok) { resolve(r); return; }
      reject(controlError(r.error));
    });
  });
}
