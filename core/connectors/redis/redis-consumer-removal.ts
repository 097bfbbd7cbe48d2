// Runs on: main thread (a fresh start's adoptPending) and the worker thread of a Redis source subtask (a
// checkpoint's acknowledgement, a restore).
//
// Removing a consumer merged away once nothing is pending under it. XGROUP DELCONSUMER drops whatever is pending
// under the consumer, so the check and the removal are one step: between an XPENDING that found none and the
// DELCONSUMER, a reader outside sluice reading under that name (XREADGROUP makes the consumer) would lose what it
// read from the pending list, never delivered again. A script runs both at once: XPENDING and XGROUP may run in
// scripts in every Redis with streams (5.0 on), whose effects replication (the default from 5.0, the only mode
// from 7.0) lets a write follow XPENDING. A user whose ACL refuses scripts gets the two commands (README says so).

import type { Redis } from 'ioredis';

const REMOVE_IF_IDLE = `if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) > 0 then return 0 end
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
return 1`;

/** Removes `consumer` from `group` if nothing is pending under it; whether it did. */
export async function removeIdleConsumer(client: Redis, stream: string, group: string, consumer: string): Promise<boolean> {
  try {
    return await client.call('EVAL', REMOVE_IF_IDLE, 1, stream, group, consumer) === 1;
  } catch (e) {
    if (!/^NOPERM/.test((e as Error)?.message ?? '')) throw e;
  }
  const pending = await client.xpending(stream, group, '-', '+', 1, consumer) as unknown[];
  if (pending.length > 0) return false;
  await client.xgroup('DELCONSUMER', stream, group, consumer);
  return true;
}
