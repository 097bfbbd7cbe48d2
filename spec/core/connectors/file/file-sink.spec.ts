// fileSink's options, checked while the job is built: rollIntervalMs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileSink, jsonLines } from '../../../../core/index.js';
import { ConnectorOptionError } from '../../../../core/connectors/errors.js';

test('rollIntervalMs: a finite number >= 0, refused with a ConnectorOptionError otherwise; part of the fingerprint', () => {
  const dir = '/nonexistent/out';
  for (const bad of [-1, Number.NaN, Infinity, '5' as unknown as number]) {
    assert.throws(() => fileSink({ dir, format: jsonLines(), rollIntervalMs: bad }), (e: unknown) => e instanceof ConnectorOptionError && /rollIntervalMs/.test(e.message), String(bad));
  }
  const a = fileSink({ dir, format: jsonLines(), rollIntervalMs: 0 });
  const b = fileSink({ dir, format: jsonLines(), rollIntervalMs: 1000 });
  const c = fileSink({ dir, format: jsonLines() });
  assert.equal(new Set([a.fingerprint, b.fingerprint, c.fingerprint]).size, 3);
});
