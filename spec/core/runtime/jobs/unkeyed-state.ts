// A process function on a stream that is not keyed reaching for keyed state or timers (a JavaScript job, or a cast:
// the types refuse it), under the 'drop' error policy: ?use=state|timer|key.
import { defineJob } from '../../../../core/index.js';

const use = new URL(import.meta.url).searchParams.get('use');

export default defineJob((env) => {
  env.fromCollection([1, 2, 3]).name('numbers')
    .process<number>((x, ctx, out) => {
      const keyed = ctx as unknown as { state(n: string): { value(): unknown }; timerService: { registerEventTimeTimer(t: number): void }; key: unknown };
      if (use === 'state') keyed.state('seen').value();
      else if (use === 'timer') keyed.timerService.registerEventTimeTimer(1);
      else void keyed.key;
      out.collect(x);
    }).name('stateful').onError('drop')
    .discard().name('out');
});
