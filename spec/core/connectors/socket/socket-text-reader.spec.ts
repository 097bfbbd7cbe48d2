// The socket text source against a real net.Server on loopback: framing across writes, strict UTF-8, never
// blocking, pausing the socket at the high-water mark, reconnects, and connection failures.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { SocketTextReader } from '../../../../core/connectors/socket/socket-text-reader.js';
import { SOURCE_WAIT } from '../../../../core/connectors/source.js';
import { ConnectorOptionError, IncompleteLineError, InvalidUtf8Error, LineTooLongError, SocketSourceError } from '../../../../core/connectors/errors.js';
import { RECORD_OVERHEAD_BYTES } from '../../../../core/connectors/formats/line-framer.js';
import { drive, type Drained } from '../drive.js';

/** A loopback server whose connections the test takes one by one. */
async function server(): Promise<{ server: Server; port: number; next: () => Promise<Socket> }> {
  const srv = createServer();
  const waiting: ((s: Socket) => void)[] = [];
  const arrived: Socket[] = [];
  srv.on('connection', (s) => { const w = waiting.shift(); if (w) w(s); else arrived.push(s); });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  return { server: srv, port, next: () => arrived.length > 0 ? Promise.resolve(arrived.shift()!) : new Promise((r) => waiting.push(r)) };
}

async function closeServer(s: Server): Promise<void> {
  s.close();
  await once(s, 'close');
}

test('lines split across writes (CRLF, a character cut in two), the last unterminated line at close, then END', async () => {
  const { server: srv, port, next } = await server();
  const reader = new SocketTextReader({ host: '127.0.0.1', port });
  assert.equal(reader.read(() => assert.fail('no data yet'), 10, () => assert.fail()), SOURCE_WAIT);
  const conn = await next();
  const bytes = Buffer.from('first\r\nsecond é\nthird');
  conn.write(bytes.subarray(0, 3));
  const d = await drive(reader, { until: () => reader.bufferedBytes === 3 });
  assert.deepEqual(d.values, [], 'a partial line is held');
  conn.write(bytes.subarray(3, 15)); // ends inside the 2-byte é
  const d1 = await drive(reader, { into: d, until: (x) => x.values.length === 1 && reader.bufferedBytes === 8 });
  assert.deepEqual(d1.values, ['first']);
  conn.end(bytes.subarray(15));
  const all = await drive(reader, { into: d1 });
  assert.deepEqual(all.values, ['first', 'second é', 'third']);
  assert.ok(all.ended);
  assert.deepEqual(reader.snapshot(1), [{ id: `tcp://127.0.0.1:${port}`, position: { connection: 1, lines: 3 } }]);
  reader.close();
  await closeServer(srv);
});

test('invalid UTF-8 and too-long lines are bad records with connection and line; the others arrive', async () => {
  const { server: srv, port, next } = await server();
  const reader = new SocketTextReader({ host: '127.0.0.1', port, maxLineBytes: 8 });
  const conn = await next();
  conn.end(Buffer.concat([Buffer.from('ok\n'), Buffer.from([0x61, 0xfe, 0x0a]), Buffer.from('way too long line\nfine\n')]));
  const d = await drive(reader);
  assert.deepEqual(d.values, ['ok', 'fine']);
  assert.deepEqual(d.bad.map((b) => b.position), [`tcp://127.0.0.1:${port}#1:2`, `tcp://127.0.0.1:${port}#1:3`]);
  assert.ok(d.bad[0]!.error instanceof InvalidUtf8Error);
  assert.deepEqual([...(d.bad[0]!.raw as Uint8Array)], [0x61, 0xfe]);
  assert.ok(d.bad[1]!.error instanceof LineTooLongError);
  reader.close();
  await closeServer(srv);
});

test('a fast sender is held back: the socket pauses at the high-water mark and resumes as lines are read; nothing is lost', async () => {
  const { server: srv, port, next } = await server();
  const reader = new SocketTextReader({ host: '127.0.0.1', port, highWaterBytes: 4096 });
  const conn = await next();
  const total = 20_000;
  let text = '';
  for (let i = 0; i < total; i++) text += `${i}\n`;
  conn.end(text);
  // Read nothing until the reader has paused itself.
  let sawPause = false;
  await drive({ read: () => SOURCE_WAIT, ready: () => reader.ready() }, { until: () => (sawPause = reader.paused) });
  assert.ok(sawPause);
  const d = await drive(reader, { max: 100 });
  assert.equal(d.values.length, total);
  assert.ok(d.values.every((v, i) => v === String(i)));
  reader.close();
  await closeServer(srv);
});

test('reconnect: a new connection after the server closes one; lines of both arrive, counted per connection', async () => {
  const { server: srv, port, next } = await server();
  const reader = new SocketTextReader({ host: '127.0.0.1', port, reconnect: { delayMs: 5 } });
  (await next()).end('a1\na2\n');
  const d = await drive(reader, { until: (x) => x.values.length === 2 });
  (await next()).end('b1\n');
  await drive(reader, { into: d, until: (x) => x.values.length === 3 });
  assert.deepEqual(d.values, ['a1', 'a2', 'b1']);
  assert.equal(d.ended, false);
  assert.ok(reader.connections >= 2);
  reader.close();
  await closeServer(srv);
});

test('reconnect gives up after maxAttempts failed connections with a SocketSourceError', async () => {
  const { server: srv, port, next } = await server();
  const reader = new SocketTextReader({ host: '127.0.0.1', port, reconnect: { delayMs: 1, maxAttempts: 3 } });
  (await next()).end('only\n');
  await closeServer(srv); // every reconnect is refused from now on
  await assert.rejects(drive(reader), (e: unknown) => e instanceof SocketSourceError && /cannot connect after 3 attempts/.test(e.message));
  reader.close();
});

test('no server and no reconnect: a SocketSourceError naming the address', async () => {
  const { server: srv, port } = await server();
  await closeServer(srv);
  const reader = new SocketTextReader({ host: '127.0.0.1', port });
  await assert.rejects(drive(reader), (e: unknown) => e instanceof SocketSourceError && e.message.includes(`127.0.0.1:${port}: cannot connect`) && /ECONNREFUSED/.test(e.message));
  reader.close();
  assert.throws(() => new SocketTextReader({ host: '', port: 1 }), ConnectorOptionError);
  assert.throws(() => new SocketTextReader({ host: 'h', port: 70000 }), ConnectorOptionError);
});

// Regression: the partial line in the framer counted against highWaterBytes, but it only shrinks when
// its end arrives, which the pause held back: a line as long as the mark hung the source (with the defaults, any
// line over 1 MiB, which should have been a LineTooLongError bad record).
for (const [what, bytes, opts, expect] of [
  ['a line over maxLineBytes (defaults) is a bad record, then the next line', 1_500_000, {}, { lines: [2], bad: 1 }],
  ['a valid line longer than highWaterBytes arrives whole', 700_000, { highWaterBytes: 512 * 1024 }, { lines: [700_000, 2], bad: 0 }],
] as const) {
  test(`${what}: the socket is not paused on a partial line`, { timeout: 20_000 }, async () => {
    const srv = createServer((s) => s.end(Buffer.concat([Buffer.alloc(bytes, 0x61), Buffer.from('\nok\n')])));
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    const reader = new SocketTextReader({ host: '127.0.0.1', port: (srv.address() as { port: number }).port, ...opts });
    try {
      const d = await drive(reader);
      assert.equal(d.ended, true);
      assert.deepEqual({ lines: d.values.map((v) => v.length), bad: d.bad.length }, expect);
      if (expect.bad > 0) assert.ok(d.bad[0]!.error instanceof LineTooLongError);
    } finally {
      reader.close();
      await closeServer(srv);
    }
  });
}

// Regression: on a reset the half-received last line was emitted as a line, a wrong value (with
// reconnect, silently). A clean close still completes it (the first test).
for (const reconnect of [false, true]) {
  test(`a connection reset mid-line: the fragment is an IncompleteLineError bad record, never a value (${reconnect ? 'reconnect' : 'no reconnect'})`, async () => {
    const { server: srv, port, next } = await server();
    const reader = new SocketTextReader({ host: '127.0.0.1', port, ...(reconnect ? { reconnect: { delayMs: 5 } } : {}) });
    try {
      const conn = await next();
      conn.write('{"id":1}\n{"id":2,"am');
      const d: Drained<string> = { values: [], bad: [], ended: false };
      await drive(reader, { into: d, until: () => reader.bufferedBytes > 0 && d.values.length === 1 });
      conn.resetAndDestroy();
      if (reconnect) {
        (await next()).end('{"id":3}\n');
        await drive(reader, { into: d, until: (x) => x.values.length === 2 });
      } else {
        await assert.rejects(drive(reader, { into: d }), (e: unknown) => e instanceof SocketSourceError && /ECONNRESET/.test(e.message));
      }
      assert.deepEqual(d.values, reconnect ? ['{"id":1}', '{"id":3}'] : ['{"id":1}']);
      assert.equal(d.bad.length, 1);
      assert.ok(d.bad[0]!.error instanceof IncompleteLineError, String(d.bad[0]!.error));
      assert.match(d.bad[0]!.error.message, /line cut short after 11 bytes: the connection failed before its end \(.*ECONNRESET.*\) at tcp:\/\/127\.0\.0\.1:\d+#1:2/);
      assert.equal(d.bad[0]!.raw, '{"id":2,"am');
    } finally {
      reader.close();
      await closeServer(srv);
    }
  });
}

// Regression: a blank line counted 0 bytes against highWaterBytes, so a sender of empty lines was never
// paused (891 MB of queued records in 3 s).
test('a fast sender of blank lines is held back too: each line counts its overhead against the high-water mark', async () => {
  const { server: srv, port, next } = await server();
  const reader = new SocketTextReader({ host: '127.0.0.1', port, highWaterBytes: 64 * 1024 });
  try {
    const conn = await next();
    const total = 2_000_000;
    conn.end(Buffer.alloc(total, 0x0a));
    let sawPause = false;
    await drive({ read: () => SOURCE_WAIT, ready: () => reader.ready() }, { until: () => (sawPause = reader.paused) });
    assert.ok(sawPause, 'paused');
    // Bounded by the mark plus one read's lines (a 64 KiB read is at most 65,536 lines).
    assert.ok(reader.bufferedBytes < 64 * 1024 + 65_536 * RECORD_OVERHEAD_BYTES, `${reader.bufferedBytes} bytes held`);
    const d = await drive(reader, { max: 10_000 });
    assert.equal(d.values.length, total);
    assert.ok(d.ended);
  } finally {
    reader.close();
    await closeServer(srv);
  }
});

// Regression: highWaterBytes 0 paused at the first data for good (a resume needs the queue under half).
test('highWaterBytes must be a positive integer', () => {
  for (const bad of [0, -5, 1.5, Number.NaN]) {
    assert.throws(() => new SocketTextReader({ host: '127.0.0.1', port: 1, highWaterBytes: bad }), (e: unknown) => e instanceof ConnectorOptionError && /highWaterBytes must be a positive integer/.test(e.message));
  }
});
