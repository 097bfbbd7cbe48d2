// Nexmark bids through a ring between two real threads, with each codec: every field of every bid arrives.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ring } from '../../shm/ring.js';
import { runWorker } from './peers.js';

const peer = new URL('./fixtures/bid-peer.ts', import.meta.url);

for (const codec of ['typed', 'generic'] as const) {
  for (const checksums of [false, true]) {
    test(`${codec} codec, frame checksums ${checksums ? 'on' : 'off'}: 200,000 bids through a 4 KiB ring`, async () => {
      const ring = Ring.create(4096);
      const cfg = { ring: ring.buffer, codec, count: 200_000, checksums };
      const c = runWorker<{ checksum: number; records: number }>(peer, { ...cfg, role: 'consumer' });
      const p = runWorker<{ checksum: number; records: number }>(peer, { ...cfg, role: 'producer' });
      const [sent, got] = await Promise.all([p.result, c.result]);
      assert.equal(got.records, 200_000);
      assert.equal(got.checksum, sent.checksum);
    });
  }
}
