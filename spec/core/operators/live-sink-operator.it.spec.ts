// A finished collect sink's tail (an untransactional run without a reader: every record at the sink's end) goes to
// the main thread in parts of 65,536; the result holds them all, in order, once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../core/index.js';

test('a finished collect sink posts a tail of three parts and the result holds every record in order', { timeout: 120_000 }, async () => {
  const release = join(mkdtempSync(join(tmpdir(), 'sluice-tail-')), 'release');
  writeFileSync(release, '');
  const count = 2 * 65_536 + 17;
  const h = await run<{ out: { i: number }[] }>(new URL(`../runtime/jobs/slow-handover.ts?release=${encodeURIComponent(release)}&count=${count}`, import.meta.url), { parallelism: 1 });
  const r = await h.result;
  const out = r.collected.out;
  assert.equal(out.length, count);
  for (let i = 0; i < count; i++) if (out[i]!.i !== i) assert.fail(`record ${i} is ${JSON.stringify(out[i])}`);
});
