// Runs on: main thread and every worker thread (a job module: each builds the same graph).
//
// The flagship job (`npm start`): a keyed aggregation over 20 million synthetic sensor readings. It shows a
// parallel generator, a chain of stateless operators fused into one task (no rings between them), a keyBy
// exchange across threads with a typed codec, and per-key state in a rolling reduce (in typed columns), at the
// default parallelism.
//
// readings → fahrenheit-to-celsius → valid-only → to-stats ══keyBy(sensor)══▶ stats-per-sensor → discard
import { defineJob, recordSchema, typedCodec, type Infer } from '../core/index.js';

const READINGS = 20_000_000;
const SENSORS = 10_000;
/** Sensors 0..99 are hot: they produce half of all readings, so the keyed exchange is skewed. */
const HOT_SENSORS = 100;

/** What crosses the keyBy exchange: fixed-layout records, encoded straight into the ring. */
const statsSchema = recordSchema({ sensor: 'string', count: 'u32', sum: 'f64', min: 'f64', max: 'f64' });
type SensorStats = Infer<typeof statsSchema>;

interface Reading {
  sensor: string;
  /** Degrees Fahrenheit; NaN when the sensor glitched. */
  value: number;
  ts: number;
}

const T0 = Date.UTC(2025, 0, 1);

export default defineJob((env) => {
  env.fromGenerator<Reading>({ count: READINGS, seed: 7 }, (i, r) => {
    const id = r.next() < 0.5 ? r.int(HOT_SENSORS) : r.int(SENSORS);
    // About 1 reading in 100 is a glitch: NaN or an impossible temperature.
    const glitch = r.next() < 0.01;
    const value = glitch ? (r.next() < 0.5 ? Number.NaN : 9999) : 50 + id % 40 + r.next() * 20;
    return { sensor: `sensor-${id}`, value, ts: T0 + i };
  })
    .name('readings')
    .map((r) => ({ sensor: r.sensor, celsius: (r.value - 32) * (5 / 9), ts: r.ts }))
    .name('fahrenheit-to-celsius')
    .filter((r) => Number.isFinite(r.celsius) && r.celsius > -60 && r.celsius < 80)
    .name('valid-only')
    .map((r): SensorStats => ({ sensor: r.sensor, count: 1, sum: r.celsius, min: r.celsius, max: r.celsius }))
    .name('to-stats')
    .withCodec(typedCodec(statsSchema))
    .keyBy((s) => s.sensor)
    // The same schema types the state: each sensor's stats are a row of typed columns, not an object.
    .reduce((a, b) => ({ sensor: a.sensor, count: a.count + b.count, sum: a.sum + b.sum, min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) }),
      { stateSchema: statsSchema })
    .name('stats-per-sensor')
    .discard()
    .name('discard');
});
