// `sluice inspect --checkpoint N` / `--savepoint NAME` with verification applies the checkpoint's keyed state as
// a resume would: a checkpoint whose chunks pass their checksums but whose entry counts disagree with them (a
// writer's bug) is reported corrupt, where it used to be listed verified while every resume refused it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../core/index.js';
import { CheckpointStore } from '../../../core/checkpoint/store.js';
import { canonical, sha256, type Manifest } from '../../../core/checkpoint/manifest.js';
import { inspectCheckpoint } from '../../../core/cli/inspect.js';

test('inspecting one checkpoint applies its keyed state: entry counts its chunks do not hold make it corrupt', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-inspect-'));
  try {
    const stateDir = join(dir, 'state');
    await (await run(new URL('../../../examples/wordcount.ts', import.meta.url), { parallelism: 2, stateDir })).result;
    const store = await CheckpointStore.open(stateDir);
    try {
      const id = (await store.manifestIds())[0]!;
      const intact = await inspectCheckpoint(store, id, { keys: 0, verify: true });
      assert.equal(intact.status, 'verified', String(intact.problem));
      assert.ok(intact.keyedEntries > 0);
      // A manifest that records one entry more in a key group than its chunks hold, hashed as a writer would.
      const m = JSON.parse(JSON.stringify(await store.readManifest(id))) as Manifest & { sha256?: string };
      const op = Object.values(m.operators).find((o) => Object.keys(o.keyGroups ?? {}).length > 0)!;
      const g = Object.values(op.keyGroups!)[0]! as { entries: number; chain: { entries: number }[] };
      g.entries++;
      g.chain.at(-1)!.entries++;
      (m as { keyedEntries: number }).keyedEntries++;
      const { sha256: _old, ...body } = m;
      await store.commitManifest({ ...body, sha256: sha256(canonical(body)) } as Manifest);
      const damaged = await inspectCheckpoint(store, id, { keys: 0, verify: true });
      assert.equal(damaged.status, 'corrupt');
      assert.match(String(damaged.problem), /operator '.*': key group \d+: restored \d+ entries, the checkpoint recorded \d+/);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
