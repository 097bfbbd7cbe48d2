// Runs on: the main thread that calls run() and every sluice worker thread (each loads this module and builds
// the same graph). The sluice job of the Nexmark suite: generator -> timestamps and watermarks -> the query
// (sluice-queries.ts) -> a sink folding every row into the suite's checksum. The query and the stream's config
// come from the environment (env.ts: nexmarkQueryEnv), which worker threads inherit when they start.

import { defineJob, WatermarkStrategy } from '../../core/index.js';
import { checksumSink } from '../job-generator.js';
import { maxOutOfOrdernessMs } from './config.js';
import { nexmarkConfigFromEnv, nexmarkQueryFromEnv, sluiceJobSettingsFromEnv } from './env.js';
import { nexmarkGeneratorFunction } from './generator.js';
import type { NexmarkEvent } from './model.js';
import { ROW_HASH } from './queries.js';
import { q4MaxDriftMs, q4Topics, readsTopics, sluiceQuery } from './sluice-queries.js';
import { topicEventFunction, topicLength, type Topic } from './topics.js';

/** The sink's name: its totals come back in `result.collected[SINK_NAME]`, one ChecksumSinkResult per subtask. */
export const SINK_NAME = 'out';

export default defineJob((env) => {
  const q = nexmarkQueryFromEnv();
  const config = nexmarkConfigFromEnv();
  const settings = sluiceJobSettingsFromEnv();
  if (settings.watermarkIntervalMs !== undefined) env.setAutoWatermarkInterval(settings.watermarkIntervalMs);
  const sink = checksumSink(ROW_HASH[q] as (row: unknown) => number, q);
  if (readsTopics(q, { prefilter: settings.prefilter })) {
    const drift = q4MaxDriftMs(config);
    const topic = (t: Topic, name: string, parallelism: number) => {
      const n = topicLength(config, t);
      return env.fromGenerator(n === Infinity ? { seed: config.seed } : { count: n, seed: config.seed }, topicEventFunction(config, t))
        .name(name).setParallelism(parallelism)
        .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<NexmarkEvent>(maxOutOfOrdernessMs(config))
          .withTimestampAssigner((e) => e.dateTime).withWatermarkAlignment('nexmark-topics', drift))
        .name(`${name}.timestamps`).setParallelism(parallelism);
    };
    q4Topics({ auctions: topic('auctions', 'auction-events', env.parallelism), peopleAndBids: topic('people-and-bids', 'events', env.parallelism) }, config, env.parallelism)
      .sink(sink).name(SINK_NAME);
    return;
  }
  const events = env.fromGenerator(config.events === Infinity ? { seed: config.seed } : { count: config.events, seed: config.seed }, nexmarkGeneratorFunction(config))
    .name('events')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<NexmarkEvent>(maxOutOfOrdernessMs(config)).withTimestampAssigner((e) => e.dateTime))
    .name('timestamps');
  sluiceQuery(q, events, config, { prefilter: settings.prefilter }).sink(sink).name(SINK_NAME);
});
