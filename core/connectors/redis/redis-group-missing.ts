// Runs on: main thread (a resume's restoreSplits) and the worker thread of a Redis source subtask (a read).
//
// A consumer group gone from a stream the source reads: the stream was deleted (its groups go with it) or Redis
// lost its data (restarted without persistence). The consumers' positions cannot be read on from, and a restart
// from the checkpoint meets the same, so it is said once with what to do. The group is not created again by
// itself: at the checkpoint's ids, in a stream that lost entries or was made anew, it would skip or re-read
// without a word; from `startAt`, it would drop the positions, which --allow-non-restored-state says explicitly.

import type { Redis } from 'ioredis';

/** The streams among `streams` that have no group `group` (no such key: none). */
export async function streamsWithoutGroup(client: Redis, streams: readonly string[], group: string): Promise<string[]> {
  const missing: string[] = [];
  for (const s of streams) {
    let groups: unknown[];
    try {
      groups = await client.xinfo('GROUPS', s) as unknown[];
    } catch (e) {
      if (/no such key/i.test(String(e))) {
        missing.push(s);
        continue;
      }
      throw e;
    }
    if (!groups.some((g) => Array.isArray(g) && g.some((v, k) => k % 2 === 0 && String(v) === 'name' && String(g[k + 1]) === group))) missing.push(s);
  }
  return missing;
}

/**
 * What happened and the way to read on; `where`: the server, unless said before; `startOver`: also how to start
 * from `startAt` instead (a resume's refusal says that itself).
 */
export function groupMissingMessage(where: string | undefined, streams: readonly string[], group: string, positions: readonly { stream: string; consumer: string; lastId: string }[], startOver: boolean): string {
  const which = streams.map((s) => `'${s}'`).join(', ');
  const at = positions.map((p) => `'${p.consumer}' on '${p.stream}' after ${p.lastId}`).join(', ');
  return `consumer group '${group}' is not on stream${streams.length === 1 ? '' : 's'} ${which}${where === undefined ? '' : ` at ${where}`} (the stream was deleted, or Redis lost its data), so its consumers cannot read on from their positions (${at}), nor can a restart from a checkpoint. To read on, create the group at the id to read after (XGROUP CREATE <stream> ${group} <id> MKSTREAM) and resume from the checkpoint${startOver ? '; to read from the configured start instead, resume with --allow-non-restored-state (allowNonRestoredState) or give the source another uid' : ''}`;
}
