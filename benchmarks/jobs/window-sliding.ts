// Runs on: the benchmark's main thread and every sluice worker thread. window.sliding: Bid generator →
// timestamps (bounded out-of-orderness) → projection to what the query reads → keyBy(auction) → 10 s windows
// sliding by 2 s, incremental count of bids (aggregate) with a window function adding the window end → checksum sink.

import { defineJob, typedCodec, SlidingEventTimeWindows, WatermarkStrategy } from '../../core/index.js';
import { benchParams, checksumSink } from '../job-generator.js';
import { auctionOf, bidTime, buildBid, countBids, OUT_OF_ORDER_MS, projectBid, bidPriceSchema, rowHash, SLIDING_SIZE_MS, SLIDING_SLIDE_MS, type Bid, type WindowRow } from '../bid-stream.js';

export default defineJob((env) => {
  const { count, seed } = benchParams();
  env.fromGenerator({ count, seed }, buildBid).name('bids')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Bid>(OUT_OF_ORDER_MS).withTimestampAssigner(bidTime)).name('timestamps')
    .map(projectBid).name('project').withCodec(typedCodec(bidPriceSchema))
    .keyBy(auctionOf)
    .window(SlidingEventTimeWindows.of(SLIDING_SIZE_MS, SLIDING_SLIDE_MS))
    .aggregate<number, number, WindowRow>(countBids, (auction, ctx, [n], out) => out.collect({ auction, end: ctx.window.end, value: n! })).name('count')
    .sink(checksumSink(rowHash, 'window.sliding')).name('out');
});
