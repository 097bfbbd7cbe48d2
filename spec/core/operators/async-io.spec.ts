// The async I/O core against a real HTTP server on loopback whose responses the test releases one by one:
// ordered and unordered output, the capacity bound, timeouts with each policy, retries, and snapshot/restore of
// in-flight inputs. Synchronised on request arrivals and completions, never on sleeps.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import { AsyncIo, AsyncIoError, AsyncIoRequestError, AsyncIoTimeoutError, type AsyncIoOptions } from '../../../core/operators/async-io.js';

/** Requests are held until `release(id)`; each arrival and each aborted request is observable. */
class GatedServer {
  readonly server: Server;
  port = 0;
  private readonly held = new Map<string, ServerResponse>();
  private readonly attempts = new Map<string, number>();
  private readonly waiters: { key: string; resolve: () => void }[] = [];
  readonly aborted = new Set<string>();
  /** Ids answered at once, with their status. */
  readonly immediate = new Map<string, number>();

  constructor() {
    this.server = createServer((req, res) => {
      const id = new URL(req.url!, 'http://x').searchParams.get('id')!;
      const attempt = (this.attempts.get(id) ?? 0) + 1;
      this.attempts.set(id, attempt);
      const status = this.immediate.get(`${id}#${attempt}`) ?? this.immediate.get(id);
      if (status !== undefined) {
        res.writeHead(status).end(`r${id}`);
      } else {
        this.held.set(id, res);
        res.on('close', () => { if (!res.writableEnded) { this.aborted.add(`${id}#${attempt}`); this.signal(`aborted:${id}#${attempt}`); } });
      }
      this.signal(`arrived:${id}#${attempt}`);
    });
  }

  async start(): Promise<void> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as { port: number }).port;
  }

  release(id: number | string, status = 200): void {
    const res = this.held.get(String(id));
    assert.ok(res, `request ${id} is not held`);
    this.held.delete(String(id));
    res.writeHead(status).end(`r${id}`);
  }

  attemptsOf(id: number | string): number {
    return this.attempts.get(String(id)) ?? 0;
  }

  /** Resolves when the event happened (or at once if it already did). */
  when(event: string): Promise<void> {
    if (this.seen.has(event)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ key: event, resolve }));
  }

  private readonly seen = new Set<string>();
  private signal(key: string): void {
    this.seen.add(key);
    for (let i = this.waiters.length - 1; i >= 0; i--) if (this.waiters[i]!.key === key) { this.waiters[i]!.resolve(); this.waiters.splice(i, 1); }
  }
}

let http: GatedServer;
before(async () => { http = new GatedServer(); await http.start(); });
after(async () => {
  http.server.closeAllConnections();
  http.server.close();
  await once(http.server, 'close');
});

let run = 0;
/** Ids unique per test, so one server serves every test. */
function io(options: AsyncIoOptions<number, string> = {}) {
  const prefix = `t${run++}-`;
  const completed = new Set<number>();
  const completions: (() => void)[] = [];
  const fn = async (i: number, signal: AbortSignal): Promise<string> => {
    const res = await fetch(`http://127.0.0.1:${http.port}/?id=${prefix}${i}`, { signal });
    const body = await res.text();
    completed.add(i);
    completions.splice(0).forEach((f) => f());
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    return body.slice(prefix.length + 1);
  };
  const core = new AsyncIo<number, string>(fn, options, 'enrich');
  return {
    core,
    id: (i: number) => `${prefix}${i}`,
    release: (i: number, status?: number) => http.release(`${prefix}${i}`, status),
    arrived: (i: number, attempt = 1) => http.when(`arrived:${prefix}${i}#${attempt}`),
    abortedSeen: (i: number, attempt = 1) => http.when(`aborted:${prefix}${i}#${attempt}`),
    /** Resolves once the responses of `ids` have been received by the function. */
    completedAll: async (ids: number[]) => { while (!ids.every((i) => completed.has(i))) await new Promise<void>((r) => completions.push(r)); },
    respondAt: (i: number, status: number, attempt?: number) => http.immediate.set(attempt ? `${prefix}${i}#${attempt}` : `${prefix}${i}`, status),
  };
}

/** Polls until `n` results were emitted, waiting on ready() between polls. */
async function take(core: AsyncIo<number, string>, n: number, out: string[] = []): Promise<string[]> {
  while (out.length < n) {
    await core.ready();
    core.poll((r) => out.push(r));
  }
  return out;
}

test('ordered: results come out in input order, held back by a slower earlier request', async () => {
  const t = io({ ordered: true });
  for (let i = 1; i <= 5; i++) t.core.push(i);
  await Promise.all([1, 2, 3, 4, 5].map((i) => t.arrived(i)));
  for (const i of [5, 4, 3, 2]) t.release(i);
  await t.completedAll([2, 3, 4, 5]);
  const out: string[] = [];
  assert.equal(t.core.poll((r) => out.push(r)), 0, 'the head (1) is still in flight');
  t.release(1);
  assert.deepEqual(await take(t.core, 5, out), ['1', '2', '3', '4', '5']);
  assert.ok(t.core.idle);
});

test('unordered: results come out as they complete', async () => {
  const t = io({ ordered: false });
  for (let i = 1; i <= 3; i++) t.core.push(i);
  await Promise.all([1, 2, 3].map((i) => t.arrived(i)));
  const out: string[] = [];
  t.release(3);
  await take(t.core, 1, out);
  t.release(1);
  await take(t.core, 2, out);
  t.release(2);
  await take(t.core, 3, out);
  assert.deepEqual(out, ['3', '1', '2']);
});

test('capacity: a full operator says so and refuses input until a result is polled', async () => {
  const t = io({ capacity: 2 });
  t.core.push(1);
  assert.ok(t.core.canAccept);
  t.core.push(2);
  assert.equal(t.core.canAccept, false);
  assert.ok(t.core.isFull);
  assert.throws(() => t.core.push(3), (e: unknown) => e instanceof AsyncIoError && e.code === 'ASYNC_FULL');
  await t.arrived(1);
  t.release(1);
  await take(t.core, 1);
  assert.ok(t.core.canAccept, 'polling freed a slot');
  await t.arrived(2);
  t.release(2);
  await take(t.core, 1);
});

test("timeout with 'fail': the request is aborted and poll throws AsyncIoTimeoutError naming the input", async () => {
  const t = io({ timeoutMs: TIMEOUT });
  t.core.push(7);
  await t.abortedSeen(7);
  await t.core.ready();
  assert.throws(() => t.core.poll(() => assert.fail()), (e: unknown) => e instanceof AsyncIoTimeoutError && /enrich: request for input #0 timed out after 300 ms \(1 attempt\)/.test(e.message));
});

// Requests that should succeed are answered at once; only the held one can reach the timeout, which is long
// enough that an answered request never does, however loaded the machine.
const TIMEOUT = 300;

test("timeout with 'drop' skips the input; with a fallback emits it in its place (ordered)", async () => {
  const drop = io({ timeoutMs: TIMEOUT, onTimeout: 'drop' });
  const fb = io({ timeoutMs: TIMEOUT, onTimeout: { fallback: (i, e) => `fallback-${i}-${e instanceof AsyncIoTimeoutError}` } });
  for (const t of [drop, fb]) {
    t.respondAt(1, 200);
    t.respondAt(3, 200);
    for (const i of [1, 2, 3]) t.core.push(i);
  }
  await Promise.all([drop.abortedSeen(2), fb.abortedSeen(2)]);
  assert.deepEqual(await take(drop.core, 2), ['1', '3']);
  assert.deepEqual(await take(fb.core, 3), ['1', 'fallback-2-true', '3']);
  assert.ok(drop.core.idle && fb.core.idle);
});

test('retries: two timed-out attempts (each aborted), the third answers', async () => {
  const t = io({ timeoutMs: TIMEOUT, retries: 2 });
  t.respondAt(5, 200, 3);
  t.core.push(5);
  assert.deepEqual(await take(t.core, 1), ['5']);
  assert.equal(http.attemptsOf(t.id(5)), 3);
  assert.ok(http.aborted.has(`${t.id(5)}#1`) && http.aborted.has(`${t.id(5)}#2`));
});

test('a late answer of a timed-out attempt is ignored: only the retry counts', async () => {
  // A function that ignores its abort signal, answering when the test says.
  const calls: ((v: string) => void)[] = [];
  let called: () => void = () => {};
  const core = new AsyncIo<number, string>((_, _signal) => new Promise<string>((resolve) => { calls.push(resolve); called(); }), { timeoutMs: TIMEOUT, retries: 1 });
  core.push(1);
  while (calls.length < 2) await new Promise<void>((r) => { called = r; });
  calls[0]!('late');
  calls[1]!('good');
  assert.deepEqual(await take(core, 1), ['good']);
  assert.ok(core.idle);
});

test("rejections: 'fail' gives AsyncIoRequestError with the cause after the retries; a retry can succeed", async () => {
  const failing = io({ retries: 1 });
  failing.respondAt(1, 500);
  failing.core.push(1);
  await failing.core.ready();
  assert.throws(() => failing.core.poll(() => {}), (e: unknown) => e instanceof AsyncIoRequestError && /failed \(2 attempts\): HTTP 500/.test(e.message) && (e.cause as Error).message === 'HTTP 500');
  const healing = io({ retries: 1, onError: 'drop' });
  healing.respondAt(1, 500, 1);
  healing.respondAt(1, 200, 2);
  healing.core.push(1);
  assert.deepEqual(await take(healing.core, 1), ['1']);
});

for (const ordered of [true, false]) {
  test(`snapshot and restore (${ordered ? 'ordered' : 'unordered'}): in-flight inputs are re-issued; every result exactly once`, async () => {
    const first = io({ ordered });
    for (let i = 1; i <= 6; i++) first.core.push(i);
    await Promise.all([1, 2, 3, 4, 5, 6].map((i) => first.arrived(i)));
    first.release(1);
    first.release(2);
    first.release(4);
    const out = await take(first.core, ordered ? 2 : 3);
    await first.completedAll([4]);
    const snapshot = structuredClone(first.core.inFlight());
    assert.deepEqual(snapshot, ordered ? [3, 4, 5, 6] : [3, 5, 6], ordered ? '4 finished but is not out: it goes in the snapshot' : '4 is out');
    first.core.close();
    await Promise.all([3, 5, 6].map((i) => first.abortedSeen(i)));
    const second = io({ ordered });
    for (const i of snapshot) second.core.push(i);
    await Promise.all(snapshot.map((i) => second.arrived(i)));
    for (const i of snapshot) second.release(i);
    await take(second.core, out.length + snapshot.length, out);
    assert.deepEqual(out.map(Number).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6]);
  });
}

test('bad options are typed errors; push after close is refused', () => {
  const fn = async (): Promise<string> => 'x';
  assert.throws(() => new AsyncIo(fn, { capacity: 0 }), (e: unknown) => e instanceof AsyncIoError && e.code === 'INVALID_OPTION');
  assert.throws(() => new AsyncIo(fn, { timeoutMs: 0 }), AsyncIoError);
  assert.throws(() => new AsyncIo(fn, { onTimeout: 'retry' as never }), AsyncIoError);
  // Regression: beyond a timer's limit Node fires after 1 ms, so such a timeout timed out every request.
  assert.throws(() => new AsyncIo(fn, { timeoutMs: 3e9 }), /timeoutMs must be at most 2147483647/);
  assert.throws(() => new AsyncIo(fn, { retries: 1, retryDelayMs: 3e9 }), /retryDelayMs must be at most 2147483647/);
  new AsyncIo(fn, { timeoutMs: 2_147_483_647 }).close();
  const core = new AsyncIo(fn);
  core.close();
  assert.throws(() => core.push(1), (e: unknown) => e instanceof AsyncIoError && e.code === 'ASYNC_CLOSED');
});

test('asyncMap options: ordered must be a boolean (a string ran in ordered mode); a misspelt option is refused, not ignored', async () => {
  const { checkAsyncMapOptions } = await import('../../../core/api/async-map.js');
  assert.throws(() => checkAsyncMapOptions({ ordered: 'false' as never }, 'lookup'), /asyncMap after operator 'lookup': ordered must be true or false, got "false"/);
  checkAsyncMapOptions({ ordered: false }, 'lookup');
  assert.throws(() => checkAsyncMapOptions({ capacityy: 3 } as never, 'lookup'), /asyncMap after operator 'lookup': unknown option 'capacityy' \(did you mean 'capacity'\?\); known: ordered, capacity, timeoutMs, retries, retryDelayMs, onTimeout$/);
  assert.throws(() => checkAsyncMapOptions({ capacity: 0 }, 'lookup'), /asyncMap after operator 'lookup'.*capacity/);
});
