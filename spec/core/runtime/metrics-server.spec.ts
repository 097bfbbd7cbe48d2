// serveMetrics' options, checked before anything listens or reads the job.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serveMetrics } from '../../../core/runtime/metrics-server.js';
import type { JobHandle } from '../../../core/runtime/job-handle.js';

const noJob = undefined as unknown as JobHandle;

// Regression: { port: 0, hots: '0.0.0.0' } listened on 127.0.0.1, and { prot: 9090 } was said as a port missing.
test('a misspelt option is refused, naming it and the option meant, before the port is checked', async () => {
  await assert.rejects(serveMetrics(noJob, { port: 0, hots: '0.0.0.0' } as never), (e: unknown) => e instanceof TypeError
    && e.message === "serveMetrics: unknown option 'hots' (did you mean 'host'?); known: port, host, job");
  await assert.rejects(serveMetrics(noJob, { prot: 9090 } as never), (e: unknown) => e instanceof TypeError && /unknown option 'prot' \(did you mean 'port'\?\)/.test(e.message));
  // Known options go on to their own checks.
  await assert.rejects(serveMetrics(noJob, { port: -1, host: '127.0.0.1', job: 'j' }), (e: unknown) => e instanceof RangeError && /port must be an integer/.test(e.message));
});
