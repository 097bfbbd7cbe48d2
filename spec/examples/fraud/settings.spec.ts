// The tutorial job's FRAUD_* settings: defaults, accepted spellings, and a clear error for anything else.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fraudSettings } from '../../../examples/fraud/settings.js';

test('FRAUD_PRINT takes 1/0, true/false, yes/no in any case; anything else is refused, naming it', () => {
  assert.equal(fraudSettings({}).print, true);
  for (const on of ['1', 'true', 'YES']) assert.equal(fraudSettings({ FRAUD_PRINT: on }).print, true, on);
  // Regression: only '0' turned printing off; 'no' and 'false' printed.
  for (const off of ['0', 'false', 'No']) assert.equal(fraudSettings({ FRAUD_PRINT: off }).print, false, off);
  assert.throws(() => fraudSettings({ FRAUD_PRINT: 'nope' }), /FRAUD_PRINT must be 1 or 0 .*got 'nope'/);
});

test('numeric settings refuse what is not an integer in range, naming the setting', () => {
  assert.equal(fraudSettings({ FRAUD_COUNT: '10' }).count, 10);
  assert.throws(() => fraudSettings({ FRAUD_COUNT: '10k' }), /FRAUD_COUNT must be an integer >= 0, got '10k'/);
  assert.equal(fraudSettings({ FRAUD_RATE: '0' }).ratePerSec, undefined);
});
