// The live status line on a terminal: anything written to stdout or stderr while it is drawn clears it first, so a
// print sink's line never starts on the status line (regression: `…│ spendi…small-then-large acct-01000`).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { LiveLine } from '../../../core/cli/live-line.js';

/** A stream whose writes land, in order, in `log` as [name, text]. */
function sink(name: string, log: [string, string][]): Writable {
  return new Writable({ write(chunk: Buffer, _enc, done) { log.push([name, chunk.toString()]); done(); } });
}

test('writes to stdout or stderr while the line is drawn clear it first; the line is redrawn after them', async () => {
  const log: [string, string][] = [];
  const err = sink('err', log);
  const out = sink('out', log);
  const line = new LiveLine(err, [out]);
  out.write('before\n');
  line.draw('status 1');
  out.write('printed\n');
  out.write('printed again\n');
  err.write('warning\n');
  line.draw('status 2');
  err.write('warning 2\n');
  line.stop();
  out.write('after\n');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(log, [
    ['out', 'before\n'],
    ['err', '\r\x1b[Kstatus 1'],
    ['err', '\r\x1b[K'], ['out', 'printed\n'],
    ['out', 'printed again\n'],
    ['err', 'warning\n'],
    ['err', '\r\x1b[Kstatus 2'],
    ['err', '\r\x1b[K'], ['err', 'warning 2\n'],
    ['out', 'after\n'],
  ]);
});

test('stop clears a drawn line and gives the streams their writes back, unless another replaced one since', () => {
  const log: [string, string][] = [];
  const err = sink('err', log);
  const out = sink('out', log);
  const errWrite = err.write;
  const line = new LiveLine(err, [out]);
  const mine = ((..._args: unknown[]) => true) as Writable['write'];
  out.write = mine;
  line.draw('x');
  line.stop();
  assert.equal(err.write, errWrite);
  assert.equal(out.write, mine);
  assert.deepEqual(log.at(-1), ['err', '\r\x1b[K']);
});
