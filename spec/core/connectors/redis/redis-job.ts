// The Redis specs' whole-job helpers: the spec job (jobs/redis.ts) against a server, and a stream filled in one
// pipeline.

import type { Redis } from 'ioredis';

/** jobs/redis.ts reading from `serverUrl`, with `params` as its query. */
export function redisJob(serverUrl: string, params: Record<string, string | number>): URL {
  const u = new URL('./jobs/redis.ts', import.meta.url);
  u.searchParams.set('url', serverUrl);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, String(v));
  return u;
}

/** Adds entries `{ data: '{"i":i}' }` for i in [from, to) to `stream`. */
export async function fillStream(redis: Redis, stream: string, from: number, to: number): Promise<void> {
  const p = redis.pipeline();
  for (let i = from; i < to; i++) p.xadd(stream, '*', 'data', JSON.stringify({ i }));
  await p.exec();
}
