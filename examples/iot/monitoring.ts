// IoT monitoring: out-of-order sensor readings (examples/iot/readings.ts), per sensor:
//
//   - the average temperature per minute (1-minute tumbling event-time windows),
//   - the maximum vibration of the last 10 minutes, every minute (sliding windows),
//   - an anomaly alert when a temperature is more than 4 standard deviations from the sensor's
//     running mean (Welford, in keyed state; examples/iot/running-stats.ts),
//   - the CEP rule "a temperature spike followed by a vibration rise within 30 s" (alerts), with
//     spikes that saw no rise in time as timed-out partial matches (unconfirmed spikes),
//   - readings too late for the windows or the rule in a side output of each, not dropped.
//
//   node bin/weir.mjs run examples/iot/monitoring.ts --work-dir iot-out
//   node bin/weir.mjs run examples/iot/monitoring.ts --mode micro-batch --param sensors=10000 --param rate=100000
//   node bin/weir.mjs bench examples/iot/monitoring.ts --rates 20k --duration 10
//
// Parameters: sensors (default 1 000), rate (readings/s in all, default 20 000; 0: as fast as
// possible), seconds (default 10), count (default rate × seconds), partitions (2), seed (2026),
// output ("files", default: JSON lines in the work dir, one file per output and worker; "collect":
// job.results(name), for tests).
import { defineJob, WatermarkStrategy, type DataStream } from '../../src/api/index.ts';
import { AfterMatchSkipStrategy, CEP, Pattern } from '../../src/cep/index.ts';
import { collect, fileSink } from '../../src/connectors/index.ts';
import type { SinkSpec } from '../../src/connectors/types.ts';
import { SlidingEventTimeWindows, TumblingEventTimeWindows } from '../../src/time/index.ts';
import { round3, sensorSource, watermarkBoundMs, type SensorReading } from './readings.ts';
import { addSample, deviation, emptyStats, type RunningStats } from './running-stats.ts';

export const spikeTemperature = 45;
export const vibrationRise = 3;
export const confirmWithinMs = 30_000;
export const anomalyDeviations = 4;
export const anomalyMinSamples = 20;

/** The CEP rule: a spike, then (relaxed) the first reading whose vibration is 3 above the spike's, within 30 s. */
export function spikeThenVibration(): Pattern<SensorReading> {
  return Pattern.begin<SensorReading>('spike', AfterMatchSkipStrategy.skipPastLastEvent())
    .where((r) => r.temperature >= spikeTemperature)
    .followedBy('rise')
    .where((r, ctx) => r.vibration >= ctx.eventsFor('spike')[0].vibration + vibrationRise)
    .within(confirmWithinMs);
}

export interface MinuteAverage { sensor: string; minute: number; avgTemperature: number; readings: number }
export interface VibrationMax { sensor: string; windowStart: number; maxVibration: number }
export interface Anomaly { sensor: string; ts: number; temperature: number; mean: number; deviation: number }
export interface SpikeAlert { sensor: string; spikeTs: number; temperature: number; riseTs: number; vibration: number }
export interface LateReading { operator: string; sensor: string; ts: number }

export default defineJob(
  (env) => {
    const rate = env.numberParam('rate', 20_000);
    const seconds = env.numberParam('seconds', 10);
    const opts = {
      partitions: env.numberParam('partitions', 2),
      sensors: env.numberParam('sensors', 1_000),
      count: env.numberParam('count', Math.round((rate > 0 ? rate : 20_000) * seconds)),
      ratePerSec: rate,
      seed: env.numberParam('seed', 2026),
    };
    const toCollect = env.params.output === 'collect';
    const sink = <T>(name: string): SinkSpec<T> => (toCollect ? collect<T>(name) : (fileSink({ path: `${name}.jsonl`, name }) as SinkSpec<T>));

    const bySensor = env
      .source(sensorSource(opts), {
        name: 'readings',
        watermarks: WatermarkStrategy.boundedOutOfOrderness<SensorReading>(watermarkBoundMs).withTimestampAssigner((r) => r.ts),
      })
      .keyBy((r) => r.sensor, { name: 'by-sensor' });

    const averages = bySensor
      .window(TumblingEventTimeWindows.of(60_000))
      .sideOutputLateData('late')
      .aggregate(
        {
          createAccumulator: () => ({ sum: 0, n: 0 }),
          add: (r: SensorReading, a: { sum: number; n: number }) => ({ sum: a.sum + r.temperature, n: a.n + 1 }),
          getResult: (a: { sum: number; n: number }) => a,
        },
        (sensor, window, [a], out) => out.collect({ sensor, minute: window.start, avgTemperature: round3(a.sum / a.n), readings: a.n }),
        { name: 'avg-temperature-1m' },
      );
    averages.sinkTo(sink<MinuteAverage>('avg-temperature'));

    const maxima = bySensor
      .window(SlidingEventTimeWindows.of(600_000, 60_000))
      .sideOutputLateData('late')
      .aggregate(
        { createAccumulator: () => -Infinity, add: (r: SensorReading, m: number) => Math.max(m, r.vibration), getResult: (m: number) => m },
        (sensor, window, [m], out) => out.collect({ sensor, windowStart: window.start, maxVibration: m }),
        { name: 'max-vibration-10m' },
      );
    maxima.sinkTo(sink<VibrationMax>('max-vibration'));

    bySensor
      .process<Anomaly>(
        (r, ctx) => {
          const state = ctx.valueState<RunningStats>('temperature-stats');
          const stats = state.value() ?? emptyStats();
          const sd = deviation(stats);
          if (stats.n >= anomalyMinSamples && Math.abs(r.temperature - stats.mean) > anomalyDeviations * sd) {
            ctx.emit({ sensor: r.sensor, ts: r.ts, temperature: r.temperature, mean: round3(stats.mean), deviation: round3(sd) });
          }
          state.update(addSample(stats, r.temperature));
        },
        { name: 'temperature-anomalies' },
      )
      .sinkTo(sink<Anomaly>('anomalies'));

    const alerts = CEP.pattern(bySensor, spikeThenVibration())
      .sideOutputLateData('late')
      .process<SpikeAlert>(
        {
          processMatch: (m, ctx) => {
            const [spike] = m.spike;
            const [rise] = m.rise;
            ctx.emit({ sensor: spike.sensor, spikeTs: spike.ts, temperature: spike.temperature, riseTs: rise.ts, vibration: rise.vibration });
          },
          processTimedOutMatch: (m, ctx) => ctx.output('unconfirmed', { sensor: m.spike[0].sensor, spikeTs: m.spike[0].ts }),
        },
        { name: 'spike-then-vibration', uid: 'spike-then-vibration' },
      );
    alerts.sinkTo(sink<SpikeAlert>('alerts'));
    alerts.sideOutput<{ sensor: string; spikeTs: number }>('unconfirmed').sinkTo(sink('unconfirmed-spikes'));

    const lateOf = <X>(stream: DataStream<X>, operator: string) =>
      stream.sideOutput<SensorReading>('late').map((r): LateReading => ({ operator, sensor: r.sensor, ts: r.ts }), { name: `late-${operator}` });
    lateOf(averages, 'avg')
      .union(lateOf(maxima, 'max'), lateOf(alerts, 'cep'))
      .sinkTo(sink<LateReading>('late-readings'));
  },
  { name: 'iot-monitoring' },
);
