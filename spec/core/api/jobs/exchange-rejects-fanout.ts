// A job for the counts of records an exchange rejects where the operator has more than one way out (regression: both
// were taken off its records out). 'proc' sends its 10 even records to its main output and its 10 odd ones to a side
// output, whose keyBy throws on 1, 11 (dropped); 'fan' sends all 20 records to two keyBys, the first of which throws
// on 0 and 10 (dropped there, while the second takes them).
import { defineJob, OutputTag } from '../../../../core/index.js';

const side = new OutputTag<number>('odd');

export default defineJob((env) => {
  const src = env.fromCollection(Array.from({ length: 20 }, (_, i) => i)).name('src').setParallelism(1);
  const p = src.process<number>((i, ctx, out) => { if (i % 2) ctx.output(side, i); else out.collect(i); }).name('proc').onError('drop');
  p.collect().name('main-out');
  p.getSideOutput(side).keyBy((i) => { if (i % 10 === 1) throw new Error('bad key'); return i % 4; }).map((i) => i).name('odd').collect().name('odd-out');
  const fan = src.map((i) => i).name('fan').onError('drop');
  fan.keyBy((i) => { if (i % 10 === 0) throw new Error('bad key'); return i % 4; }).map((i) => i).name('b1').collect().name('b1-out');
  fan.keyBy((i) => i % 4).map((i) => i).name('b2').collect().name('b2-out');
});
