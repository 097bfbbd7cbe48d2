// Runs on: the benchmark's main thread and every sluice worker thread. window.tumbling: Bid generator →
// timestamps (bounded out-of-orderness) → projection to what the query reads → keyBy(auction) → 10 s tumbling
// event-time windows, incremental max price (reduce) with a window function adding the window end → checksum sink.

import { defineJob, typedCodec, TumblingEventTimeWindows, WatermarkStrategy } from '../../core/index.js';
import { benchParams, checksumSink } from '../job-generator.js';
import { auctionOf, bidTime, buildBid, maxBid, projectBid, bidPriceSchema, OUT_OF_ORDER_MS, rowHash, TUMBLING_MS, type Bid, type WindowRow } from '../bid-stream.js';

export default defineJob((env) => {
  const { count, seed } = benchParams();
  env.fromGenerator({ count, seed }, buildBid).name('bids')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Bid>(OUT_OF_ORDER_MS).withTimestampAssigner(bidTime)).name('timestamps')
    .map(projectBid).name('project').withCodec(typedCodec(bidPriceSchema))
    .keyBy(auctionOf)
    .window(TumblingEventTimeWindows.of(TUMBLING_MS))
    .reduce<WindowRow>(maxBid, (auction, ctx, [b], out) => out.collect({ auction, end: ctx.window.end, value: b!.price })).name('max-price')
    .sink(checksumSink(rowHash, 'window.tumbling')).name('out');
});
