// serveControl's options, checked before its socket is made or the job is read.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serveControl } from '../../../core/runtime/control-server.js';
import type { JobHandle } from '../../../core/runtime/job-handle.js';

const noJob = undefined as unknown as JobHandle;

// Regression: { jobName: 'orders' } served the job unnamed (sluice status showed none), without a word.
test('a misspelt option is refused, naming it and the option meant', async () => {
  await assert.rejects(serveControl(noJob, '/nonexistent/state', { jobName: 'orders' } as never), (e: unknown) => e instanceof TypeError
    && e.message === "serveControl: unknown option 'jobName'; known: job, file, onCancel");
  await assert.rejects(serveControl(noJob, '/nonexistent/state', { oncancel: () => {} } as never), /unknown option 'oncancel' \(did you mean 'onCancel'\?\)/);
  await assert.rejects(serveControl(noJob, '/nonexistent/state', null as never), /serveControl: options must be an object, got null/);
});
