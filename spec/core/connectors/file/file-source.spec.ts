// fromFiles' options, checked when the job is built. Regression: fromFiles(..., { folow: true, maxLineByte: 10 })
// read to the end instead of following, with lines of any length.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileSource } from '../../../../core/connectors/file/file-source.js';
import { jsonLines } from '../../../../core/connectors/formats/jsonl.js';
import { ConnectorOptionError } from '../../../../core/connectors/errors.js';

const refused = (call: () => unknown, message: RegExp): void => {
  assert.throws(call, (e: unknown) => e instanceof ConnectorOptionError && message.test(e.message), String(message));
};

test('fromFiles refuses misspelt options, naming the nearest ones', () => {
  refused(() => fileSource('/tmp/never-read.jsonl', jsonLines(), { folow: true, maxLineByte: 10 } as never),
    /^fromFiles: unknown options 'folow' \(did you mean 'follow'\?\), 'maxLineByte' \(did you mean 'maxLineBytes'\?\); known: cwd, /);
  refused(() => fileSource('/tmp/never-read.jsonl', jsonLines(), { follow: { pollIntervalMS: 10 } } as never),
    /^fromFiles: follow: unknown option 'pollIntervalMS' \(did you mean 'pollIntervalMs'\?\); known: watch, pollIntervalMs, safetyPollMs$/);
  refused(() => fileSource('/tmp/never-read.jsonl', jsonLines(), null as never), /^fromFiles: options must be an object, got null$/);
});

test('fromFiles takes its known options, undefined or set', () => {
  const spec = fileSource('/tmp/never-read.jsonl', jsonLines(), { follow: { watch: false, pollIntervalMs: 50 }, maxLineBytes: 1024, cwd: undefined, chunkBytes: 4096 });
  assert.equal(spec.kind, 'file');
  assert.equal(spec.bounded, false);
});
