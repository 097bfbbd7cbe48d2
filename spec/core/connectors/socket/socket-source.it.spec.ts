// The socket text source in a whole job: a real TCP server on loopback sends lines (CRLF and LF, a last line
// without a line end, a line of invalid UTF-8, a line over maxLineBytes) in chunks that split lines and
// characters, then closes; the job reads every good line in order and dead-letters the bad ones, then ends.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { run, type DeadLetter } from '../../../../core/index.js';

test('socketTextStream: lines in order across chunk boundaries; invalid UTF-8 and an over-long line dead-lettered; ends when the server closes', async () => {
  const payload = Buffer.concat([
    Buffer.from('alpha\r\nbeta\n'),
    Buffer.from([0x67, 0x61, 0x6d, 0xff, 0x61, 0x0a]), // "gam\xffa"
    Buffer.from(`${'x'.repeat(100)}\n`),
    Buffer.from('grüße\n'),
    Buffer.from('last line without a line end'),
  ]);
  const server = createServer((socket: Socket) => {
    // Chunks of 3 bytes: lines, CRLFs and the two bytes of 'ü' are cut apart.
    for (let i = 0; i < payload.length; i += 3) socket.write(payload.subarray(i, i + 3));
    socket.end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const port = (server.address() as { port: number }).port;
    const { collected, metrics } = await (await run(new URL(`./jobs/socket.ts?port=${port}`, import.meta.url), { parallelism: 1 })).result;
    assert.deepEqual(collected.out, ['ALPHA', 'BETA', 'GRÜSSE', 'LAST LINE WITHOUT A LINE END']);
    const dead = collected.dead as DeadLetter[];
    assert.deepEqual(dead.map((d) => d.error.code), ['INVALID_UTF8', 'LINE_TOO_LONG']);
    assert.deepEqual([...(dead[0]!.raw as Uint8Array)], [0x67, 0x61, 0x6d, 0xff, 0x61]);
    assert.match(dead[0]!.position!, /^tcp:\/\/127\.0\.0\.1:\d+#1:3$/);
    assert.match(dead[1]!.error.message, /line of 100 bytes exceeds the maximum of 64 bytes \(option 'maxLineBytes'\)/);
    // Regression: its raw text is the line's first 64 bytes, and the dead letter did not say so.
    assert.deepEqual([dead[0]!.truncated, dead[1]!.truncated, (dead[1]!.raw as string).length], [undefined, true, 64]);
    const src = metrics.operators.find((o) => o.operator === 'socket')!;
    assert.deepEqual([src.recordsIn, src.recordsOut, src.deadLettered], [6, 4, 2]);
  } finally {
    server.close();
  }
});
