// Worker threads decode strings without msgpackr's native addon (msgpackr-extract). The addon keeps one token table
// for the whole process and clears it, then fills it again, each time a thread loads it (NAPI_MODULE_INIT ->
// setupTokenTable): a thread extracting strings meanwhile reads a multi-byte token (uint16 0xcd) as a one-byte one,
// takes a byte inside it for a string header (686 = cd 02 ae: fixstr of 14) and hands one string field of one
// record back wrong ('NL' read as '\uFFFDN'). A job's threads start together, so one thread's start could corrupt a
// record another was already decoding: the fraud-rules spec (two-input.it.spec.ts) lost one alert that way, 1 run in
// about 1,000 on a loaded machine. spec/shm/codec/native-extract-race.ts shows the corruption itself (a thread
// decoding while others load msgpackr).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../../core/index.js';

test('worker threads run with msgpackr-extract off (it corrupts strings while another thread loads it)', async () => {
  const h = await run(new URL('./jobs/native-strings.ts', import.meta.url), { parallelism: 2, threads: 2 });
  const { collected } = await h.result;
  const out = collected.out as { x: number; worker: boolean; native: boolean }[];
  assert.equal(out.length, 4);
  for (const r of out) {
    assert.equal(r.worker, true);
    assert.equal(r.native, false, `record ${r.x} was decoded on a thread with native string extraction on`);
  }
});

test('without bundling too, and the rest of the environment goes through', async () => {
  process.env['SLUICE_NATIVE_STRINGS_SPEC'] = 'kept';
  try {
    const h = await run(new URL('./jobs/native-strings.ts', import.meta.url), { parallelism: 2, threads: 2, bundleWorkers: false });
    const { collected } = await h.result;
    const out = collected.out as { native: boolean; kept: string | null }[];
    assert.equal(out.length, 4);
    for (const r of out) {
      assert.equal(r.native, false);
      assert.equal(r.kept, 'kept');
    }
  } finally {
    delete process.env['SLUICE_NATIVE_STRINGS_SPEC'];
  }
});
