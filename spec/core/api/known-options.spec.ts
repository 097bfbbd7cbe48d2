// The shared check of options objects' keys: a misspelt key was ignored, leaving its option at the default unsaid.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JobDefinitionError } from '../../../core/api/errors.js';
import { checkKnownOptions, nearestKey } from '../../../core/api/known-options.js';
import { ConnectorOptionError } from '../../../core/connectors/errors.js';

test('an unknown key is refused, naming the call, the key and the nearest known key', () => {
  assert.throws(() => checkKnownOptions({ paralellism: 1 }, ['parallelism', 'threads'], 'run()'), (e: unknown) =>
    e instanceof JobDefinitionError && e.message === "run(): unknown option 'paralellism' (did you mean 'parallelism'?); known: parallelism, threads");
});

test('every unknown key is named, one without a near key without a guess', () => {
  assert.throws(() => checkKnownOptions({ mod: 'x', zzzzzzzz: 1, a: 1 }, ['mode', 'a'], 'f'), (e: unknown) =>
    e instanceof JobDefinitionError && e.message === "f: unknown options 'mod' (did you mean 'mode'?), 'zzzzzzzz'; known: mode, a");
});

test('known keys pass, undefined or not; an unknown key is refused even when undefined', () => {
  checkKnownOptions({ a: undefined, b: 1 }, ['a', 'b'], 'f');
  checkKnownOptions({}, [], 'f');
  assert.throws(() => checkKnownOptions({ c: undefined }, ['a', 'b'], 'f'), /^JobDefinitionError: f: unknown option 'c'/);
});

test('the error is the caller\'s to make', () => {
  assert.throws(() => checkKnownOptions({ folow: true }, ['follow'], 'fromFiles', (m) => new ConnectorOptionError(m)), (e: unknown) =>
    e instanceof ConnectorOptionError && /unknown option 'folow' \(did you mean 'follow'\?\)/.test(e.message));
});

test('the nearest key ignores case and guesses only when close', () => {
  assert.equal(nearestKey('statedir', ['stateDir', 'resume']), 'stateDir');
  assert.equal(nearestKey('checkpointInterval', ['checkpointIntervalMs', 'checkpointMode']), 'checkpointIntervalMs');
  assert.equal(nearestKey('ratePerSecond', ['rate', 'count']), undefined);
  assert.equal(nearestKey('xyz', ['parallelism']), undefined);
});
