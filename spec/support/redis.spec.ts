// The Redis test server helper: a private server that answers, stops cleanly, never outlives its test process,
// and a clear failure when redis-server is not installed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { startRedis } from './redis.js';

const holder = fileURLToPath(new URL('./fixtures/redis-holder.ts', import.meta.url));

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/** Resolves once `pid` is gone; the process is not our child, so there is no exit event to wait on. */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 500 && alive(pid); i++) await new Promise((r) => setTimeout(r, 10));
  return !alive(pid);
}

test('startRedis: a private server on loopback that answers, keeps nothing on disk, and stop() ends it', async () => {
  const server = await startRedis();
  const client = new Redis({ host: server.host, port: server.port, lazyConnect: true });
  await client.connect();
  assert.equal(await client.ping(), 'PONG');
  assert.deepEqual(await client.config('GET', 'save'), ['save', '']);
  assert.deepEqual(await client.config('GET', 'appendonly'), ['appendonly', 'no']);
  client.disconnect();
  assert.ok(alive(server.pid));
  await server.stop();
  assert.equal(alive(server.pid), false);
});

test('a redis-server does not outlive its test process, even one killed with SIGKILL', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', holder], { stdio: ['ignore', 'pipe', 'inherit'] });
  let line = '';
  for await (const l of createInterface({ input: child.stdout })) { line = l; break; }
  const [portText, pidText, dir] = line.split(' ') as [string, string, string];
  const [port, pid] = [Number(portText), Number(pidText)];
  assert.ok(alive(pid), line);
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  child.kill('SIGKILL');
  await once(socket, 'close'); // the server went away
  assert.ok(await gone(pid), `redis-server ${pid} is still running`);
  await rm(dir, { recursive: true, force: true }); // the killed test process could not
});

test('without redis-server on the PATH, startRedis fails naming the Debian package', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', holder], { env: { ...process.env, PATH: '/nonexistent' }, encoding: 'utf8' });
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stdout, /RedisServerMissingError: redis-server is not installed: .*Debian package redis-server \(apt-get install -y redis-server/);
});
