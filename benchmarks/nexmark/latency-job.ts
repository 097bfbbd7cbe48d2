// Runs on: the main thread that calls run() and every worker thread of a Nexmark latency run (each loads this
// module and builds the same graph). The sluice job whose latency the suite measures: the paced Nexmark source
// (paced-source.ts) -> timestamps and watermarks (q7's log their emission: recording-watermarks.ts; q1's are the
// throughput job's, since nothing reads a log of them and its writes cost the source thread) -> the suite's own
// sluice query (sluice-queries.ts, unchanged) -> a sink taking each result's latency
// (latency-sinks.ts). Query, rate and run directory come from the environment (latency-params.ts, env.ts).

import { defineJob, WatermarkStrategy } from '../../core/index.js';
import { maxOutOfOrdernessMs } from './config.js';
import type { NexmarkEvent } from './model.js';
import { nexmarkConfigFromEnv, sluiceJobSettingsFromEnv } from './env.js';
import { eventLatencySink, windowResultSink } from './latency-sinks.js';
import { latencyParamsFromEnv } from './latency-params.js';
import { pacedNexmarkSource } from './paced-source.js';
import { recordingWatermarks } from './recording-watermarks.js';
import { sluiceQuery } from './sluice-queries.js';

/** The sink's name: its parts come back in `result.collected[LATENCY_SINK_NAME]`, one per sink subtask. */
export const LATENCY_SINK_NAME = 'out';

export default defineJob((env) => {
  const config = nexmarkConfigFromEnv();
  const params = latencyParamsFromEnv();
  // The same watermark interval as the throughput job (sluice-job.ts) is given.
  const watermarkMs = sluiceJobSettingsFromEnv().watermarkIntervalMs;
  if (watermarkMs !== undefined) env.setAutoWatermarkInterval(watermarkMs);
  const events = env.fromSource(pacedNexmarkSource(config, params), 'events')
    .assignTimestampsAndWatermarks(params.query === 'q7' ? recordingWatermarks(config, params.dir)
      : WatermarkStrategy.forBoundedOutOfOrderness<NexmarkEvent>(maxOutOfOrdernessMs(config)).withTimestampAssigner((e) => e.dateTime)).name('timestamps');
  switch (params.query) {
    case 'q1':
      sluiceQuery('q1', events, config).sink(eventLatencySink(config, params)).name(LATENCY_SINK_NAME);
      break;
    case 'q7':
      sluiceQuery('q7', events, config).sink(windowResultSink()).name(LATENCY_SINK_NAME);
      break;
  }
});
