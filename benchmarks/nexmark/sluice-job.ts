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
import { sluiceQuery } from './sluice-queries.js';

/** The sink's name: its totals come back in `result.collected[SINK_NAME]`, one ChecksumSinkResult per subtask. */
export const SINK_NAME = 'out';

export default defineJob((env) => {
  const q = nexmarkQueryFromEnv();
  const config = nexmarkConfigFromEnv();
  const settings = sluiceJobSettingsFromEnv();
  if (settings.watermarkIntervalMs !== undefined) env.setAutoWatermarkInterval(settings.watermarkIntervalMs);
  const events = env.fromGenerator(config.events === Infinity ? { seed: config.seed } : { count: config.events, seed: config.seed }, nexmarkGeneratorFunction(config))
    .name('events')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<NexmarkEvent>(maxOutOfOrdernessMs(config)).withTimestampAssigner((e) => e.dateTime))
    .name('timestamps');
  sluiceQuery(q, events, config, { prefilter: settings.prefilter }).sink(checksumSink(ROW_HASH[q] as (row: unknown) => number, q)).name(SINK_NAME);
});
