// Runs on: the main thread of a spec process. A private redis-server for the Redis connector tests.
//
// Each server gets a free loopback port, a temp directory and no persistence. It runs under a small sh wrapper
// that kills it when the wrapper's stdin closes, which happens when `stop()` is called and also when the test
// process dies in any way (even SIGKILL): no redis-server outlives its test process. The pid file in the
// temp directory lets .ci/run check for leftovers.
// Missing redis-server fails the tests with the package to install: these tests are never silently skipped.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { Redis } from 'ioredis';

export interface RedisServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** redis://127.0.0.1:port */
  readonly url: string;
  /** The redis-server process (not the wrapper). */
  readonly pid: number;
  /** Its temp directory (removed by `stop()`). */
  readonly dir: string;
  stop(): Promise<void>;
}

export class RedisServerMissingError extends Error {
  constructor() {
    super('redis-server is not installed: the Redis connector tests need the Debian package redis-server (apt-get install -y redis-server; .ci/run installs it)');
    this.name = 'RedisServerMissingError';
  }
}

// fd 3 keeps the wrapper's stdin for the watcher: sh gives background jobs /dev/null as stdin.
const WRAPPER = 'exec 3<&0; redis-server "$@" </dev/null 3<&- & pid=$!; (cat <&3 >/dev/null; kill "$pid" 2>/dev/null) & wait "$pid"';

export async function startRedis(): Promise<RedisServer> {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined) throw new RedisServerMissingError();
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return await launch(await freePort());
    } catch (e) {
      lastError = e;
      if (!/Address already in use/.test(String(e))) throw e; // another process took the port between probe and bind
    }
  }
  throw lastError;
}

/** A loopback port free now (for a server started later on it: startRedisOn). */
export async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as { port: number };
  s.close();
  await once(s, 'close');
  return port;
}

/** A redis-server on `port` (one a spec chose beforehand, to point a job at it before the server is up). */
export function startRedisOn(port: number): Promise<RedisServer> {
  if (spawnSync('redis-server', ['--version']).error !== undefined) throw new RedisServerMissingError();
  return launch(port);
}

async function launch(port: number): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-redis-'));
  const pidFile = join(dir, 'redis.pid');
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'no', '--save', '', '--appendonly', 'no',
    '--dir', dir, '--pidfile', pidFile, '--daemonize', 'no', '--logfile', ''];
  const wrapper = spawn('sh', ['-c', WRAPPER, 'sh', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let log = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (b: Buffer): void => {
      log += b.toString();
      if (log.includes('Ready to accept connections')) resolve();
    };
    wrapper.stdout!.on('data', onData);
    wrapper.stderr!.on('data', onData);
    wrapper.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${log}`)));
  });
  const timeout = setTimeout(() => wrapper.kill('SIGKILL'), 15_000);
  try {
    await ready;
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  } finally {
    clearTimeout(timeout);
  }
  const pid = Number((await readFile(pidFile, 'utf8')).trim());
  const onExit = (): void => { try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ } };
  process.once('exit', onExit);
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const pong = await client.ping();
    if (pong !== 'PONG') throw new Error(`redis-server on port ${port} answered PING with ${pong}`);
  } finally {
    client.disconnect();
  }
  let stopped: Promise<void> | undefined;
  return {
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    pid,
    dir,
    stop: () => (stopped ??= stop(wrapper, pid, dir, onExit)),
  };
}

async function stop(wrapper: ChildProcess, pid: number, dir: string, onExit: () => void): Promise<void> {
  const exited = wrapper.exitCode !== null || wrapper.signalCode !== null ? Promise.resolve() : once(wrapper, 'exit').then(() => {});
  wrapper.stdin!.end(); // the watcher's cat ends and kills redis-server; the wrapper's wait returns
  await exited;
  process.removeListener('exit', onExit);
  if (alive(pid)) throw new Error(`redis-server ${pid} is still running after stop`);
  await rm(dir, { recursive: true, force: true });
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/**
 * A redis-server and a client connected to it for one spec file: started before its first test and stopped after
 * its last (node:test's before/after). `key(name)` gives each use a key of its own.
 */
export function redisForSpecFile(): { readonly server: RedisServer; readonly redis: Redis; key(name: string): string } {
  let server: RedisServer | undefined;
  let redis: Redis | undefined;
  let n = 0;
  before(async () => {
    server = await startRedis();
    redis = new Redis({ host: server.host, port: server.port, lazyConnect: true });
    await redis.connect();
  });
  after(async () => {
    redis?.disconnect();
    await server?.stop();
  });
  return {
    get server() { return server!; },
    get redis() { return redis!; },
    key: (name) => `${name}-${n++}`,
  };
}
