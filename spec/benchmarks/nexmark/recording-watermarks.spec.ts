// The latency job's watermarks are the suite's bounded-out-of-orderness ones, and each advance is logged with the
// wall time just before it left: the log is what window closing times are computed from.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nexmarkConfig, maxOutOfOrdernessMs } from '../../../benchmarks/nexmark/config.js';
import { epochMs } from '../../../benchmarks/job-generator.js';
import { nexmarkEvents } from '../../../benchmarks/nexmark/generator.js';
import { readWatermarkLogs } from '../../../benchmarks/nexmark/latency-dir.js';
import { recordingWatermarks } from '../../../benchmarks/nexmark/recording-watermarks.js';

test('watermarks are max dateTime - bound - 1, emitted once per advance, each logged with its emission time', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'recording-watermarks-'));
  try {
    const config = nexmarkConfig({ events: 400, eventsPerSec: 1000, outOfOrderGroupSize: 7 });
    const bound = maxOutOfOrdernessMs(config);
    assert.ok(bound > 0);
    const strategy = recordingWatermarks(config, dir);
    const gen = strategy.createGenerator();
    const emitted: number[] = [];
    const output = { emitWatermark: (w: number) => { emitted.push(w); } };
    gen.onPeriodicEmit(output); // nothing seen: nothing emitted, no file
    assert.deepEqual(readdirSync(dir), []);
    const before = epochMs();
    let maxTs = -Infinity;
    const expected: number[] = [];
    let i = 0;
    for (const e of nexmarkEvents(config)) {
      const ts = strategy.assigner!(e, undefined);
      assert.equal(ts, e.dateTime);
      gen.onEvent(e, ts, output);
      maxTs = Math.max(maxTs, ts);
      if (++i % 50 === 0) {
        gen.onPeriodicEmit(output);
        gen.onPeriodicEmit(output); // no advance: not emitted again
        expected.push(maxTs - bound - 1);
      }
    }
    const after = epochMs();
    assert.deepEqual(emitted, expected);
    const logs = readWatermarkLogs(dir);
    assert.equal(logs.length, 1);
    assert.deepEqual(logs[0]!.watermarks, expected);
    for (const t of logs[0]!.atMs) assert.ok(t >= before - 0.001 && t <= after + 0.001);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
