// A map that blocks its thread in one synchronous call at its 100th record (an Atomics.wait that never ends, a
// stand-in for a loop or a synchronous wait in user code), on an unbounded source, without checkpointing.
import { defineJob } from '../../../../core/index.js';

export default defineJob((env) => {
  env.fromGenerator({ seed: 1 }, (i) => i).name('numbers')
    .map((i) => {
      if (i === 100) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
      return i;
    }).name('hangs')
    .discard().name('out');
});
