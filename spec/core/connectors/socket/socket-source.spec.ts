// socketTextStream's options, checked when the job is built: a misspelt one ({ reconect: true }) was ignored.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { socketTextSource } from '../../../../core/connectors/socket/socket-source.js';
import { ConnectorOptionError } from '../../../../core/connectors/errors.js';

const refused = (call: () => unknown, message: string): void => {
  assert.throws(call, (e: unknown) => e instanceof ConnectorOptionError && e.message === message, message);
};

test('socketTextStream refuses misspelt options, its reconnect\'s too, naming the nearest one', () => {
  refused(() => socketTextSource('127.0.0.1', 9, { reconect: true } as never), "socketTextStream: unknown option 'reconect' (did you mean 'reconnect'?); known: maxLineBytes, reconnect, highWaterBytes");
  refused(() => socketTextSource('127.0.0.1', 9, { reconnect: { delay: 10 } } as never), "socketTextStream: reconnect: unknown option 'delay' (did you mean 'delayMs'?); known: delayMs, maxAttempts");
  refused(() => socketTextSource('127.0.0.1', 9, null as never), 'socketTextStream: options must be an object, got null');
  assert.equal(socketTextSource('127.0.0.1', 9, { reconnect: { delayMs: 10, maxAttempts: undefined }, maxLineBytes: 100 }).kind, 'socket');
});
