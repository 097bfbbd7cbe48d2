// Regression: a polling source's thread, starved by the OS while it waited on its ready() timer, came back from the
// event loop in the poll or check phase, before the timers phase that runs that timer. The task loop took that
// return as the turn in which the timer could have run, so the source's assigner saw the whole starved stretch as
// silence and marked it idle with data to read (watermark-alignment.it.spec "a held source is not idle": thousands
// of late records under load). Here the starved wait is a timers-phase callback that busy-waits, followed by the
// loop's own check-phase turn: real event loop, real assigner; the turn order is asserted, not assumed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimestampsOperator } from '../../core/time/timestamps-operator.js';
import { WatermarkStrategy } from '../../core/time/watermark-strategy.js';
import { TaskContext, eventLoopTurns, loopCameBack, type EventLoopTurns } from '../../core/operators/task-context.js';
import type { Downstream } from '../../core/operators/operator.js';
import { eventLoopTurn } from '../../workers/task-loop.js';

const IDLE_MS = 150;
const STARVED_MS = 300;

function source() {
  const ctx = new TaskContext('F', 0, 1, 128);
  const now = performance.now();
  const turns = eventLoopTurns(now); // as runTaskLoop starts it
  ctx.eventLoop = turns;
  const events: string[] = [];
  const out: Downstream<number> = { push() {}, watermark() {}, idle: (b) => { events.push(b ? 'idle' : 'active'); }, finish() {} };
  const strategy = WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((r) => r).withIdleness(IDLE_MS);
  const op = new TimestampsOperator<number>('F-ts', ctx, out, strategy, 5);
  op.behindSource = true;
  /** The subtask's interval check (fireTimers), as the round after a turn runs it. */
  const check = (): void => op.onProcessingTime(op.nextProcessingTime());
  return { ctx, turns, events, check };
}

const busy = (ms: number): void => { const end = performance.now() + ms; while (performance.now() < end); };

/**
 * In a timers phase: the source's read finds nothing and it waits on `ready` (a timer, as a polling reader's), then
 * the thread is held STARVED_MS; then the loop's next turn returns, in the check phase of that same iteration.
 */
function starvedWait(ctx: TaskContext, turns: EventLoopTurns, ready: () => Promise<void>): Promise<void> {
  return new Promise<void>((done) => setTimeout(() => {
    ctx.sourceIdleSince = performance.now();
    ready().then(() => { ctx.sourceSettled = true; });
    busy(STARVED_MS);
    void eventLoopTurn(turns).then(() => done());
  }, 0));
}

test('a source whose thread was starved while its ready() timer fell due is not idle at the turn that ends the wait', async () => {
  const { ctx, turns, events, check } = source();
  await eventLoopTurn(turns);
  await starvedWait(ctx, turns, () => new Promise((r) => setTimeout(r, 2)));
  assert.equal(ctx.sourceSettled, false, 'the turn came back before the timers phase that runs the ready() timer');
  check();
  assert.deepEqual(events, [], 'its silence was the starved thread, not an empty source');
  // The next turn passes a timers phase: the timer runs, and the source is read, not idle.
  await eventLoopTurn(turns);
  assert.equal(ctx.sourceSettled, true);
  check();
  assert.deepEqual(events, []);
});

test('a source still waiting after a whole turn past the timeout is idle', async () => {
  const { ctx, turns, events, check } = source();
  await eventLoopTurn(turns);
  await starvedWait(ctx, turns, () => new Promise(() => {})); // nothing to read, ever
  check();
  assert.deepEqual(events, [], 'not yet: the turn that ended the starved wait is no turn it could settle in');
  await new Promise((r) => setTimeout(r, 1)); // a timers phase
  await eventLoopTurn(turns);
  check();
  assert.deepEqual(events, ['idle']);
});

// Review: turnAt taken as the loop's previous return still failed when the starved wait ended in the poll phase (a
// park's wake) and the loop then took a turn in the check phase of the same pass (a neighbour's yield): both
// returns came before the timers phase that runs the ready() timer.
test('a starved wait that ends in the poll phase, then a turn in the same pass: the source is not idle', async () => {
  const { ctx, turns, events, check } = source();
  await eventLoopTurn(turns);
  const word = new Int32Array(new SharedArrayBuffer(4));
  await new Promise<void>((done) => setTimeout(() => {
    ctx.sourceIdleSince = performance.now();
    new Promise((r) => setTimeout(r, 2)).then(() => { ctx.sourceSettled = true; });
    // The park's wake, as runTaskLoop comes back from a doorbell ring.
    const parked = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, t: number): { value: Promise<string> } }).waitAsync(word, 0, 0, 10_000);
    void parked.value.then(() => { loopCameBack(turns, performance.now()); done(); });
    Atomics.notify(word, 0);
    busy(STARVED_MS);
  }, 0));
  const settledAtWake = ctx.sourceSettled;
  await eventLoopTurn(turns);
  assert.equal(settledAtWake || ctx.sourceSettled, false, 'both returns came before the timers phase that runs the ready() timer');
  check();
  assert.deepEqual(events, [], 'its silence was the starved thread, not an empty source');
});
