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

// Regression: a misspelt option was ignored ({ rollRecord: 2 } rolled at the default, never by records).
test('fileSink refuses a misspelt option, naming the nearest one', () => {
  assert.throws(() => fileSink({ dir: '/tmp/never-written', format: jsonLines(), rollRecord: 2 } as never), (e: unknown) =>
    e instanceof ConnectorOptionError && /^fileSink: unknown option 'rollRecord' \(did you mean 'rollRecords'\?\); known: dir, format, /.test(e.message));
  assert.equal(fileSink({ dir: '/tmp/never-written', format: jsonLines(), rollRecords: 2, prefix: undefined }).kind, 'file');
});
