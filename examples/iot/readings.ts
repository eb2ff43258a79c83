// The IoT example's data: sensor readings from a seeded, deterministic generator. Reading j of
// partition p is a pure function of (options, p, j), so a test can recompute any of them.
//
// - Sensor s reports once a second of event time (phase-shifted per sensor), always from partition
//   s mod partitions, so one sensor's readings arrive in one order whatever the threads do.
// - 20 % of readings are up to 3 s late (out of order, within the 5 s watermark bound), and 1 in
//   400 after the first 20 minutes is 15–16 minutes late: too late for every window and for CEP.
// - Now and then a sensor has an episode: a temperature spike, then a few seconds of strong
//   vibration 1–45 s later (so sometimes within the 30 s the CEP rule allows, sometimes not).
import { END, type SourceSpec } from '../../src/connectors/types.ts';
import { lowbias32 } from '../../src/util/random.ts';

export interface SensorReading {
  sensor: string;
  ts: number;
  temperature: number;
  vibration: number;
}

export interface SensorOptions {
  partitions: number;
  sensors: number;
  /** Readings in all (split over the partitions). */
  count: number;
  /** Readings per second in all (0: as fast as possible). */
  ratePerSec: number;
  seed: number;
}

export const readingIntervalMs = 1_000;
export const disorderMs = 3_000;
export const watermarkBoundMs = 5_000;
export const lateByMs = 15 * 60_000;
const startMs = Date.UTC(2026, 0, 1);

/** Readings of partition p. */
export function partitionCount(opts: SensorOptions, p: number): number {
  return Math.floor(opts.count / opts.partitions) + (p < opts.count % opts.partitions ? 1 : 0);
}

function sensorsOf(opts: SensorOptions, p: number): number {
  return Math.max(1, Math.ceil((opts.sensors - p) / opts.partitions));
}

/** Reading j of partition p, and whether it was made late on purpose. */
export function sensorReading(opts: SensorOptions, p: number, j: number): { reading: SensorReading; late: boolean } {
  const perPartition = sensorsOf(opts, p);
  const sensorId = p + opts.partitions * (j % perPartition);
  const k = Math.floor(j / perPartition); // the sensor's k-th reading
  const natural = startMs + k * readingIntervalMs + ((sensorId * 37) % readingIntervalMs);
  const h = lowbias32(lowbias32(opts.seed * 0x9e3779b1 + sensorId) ^ (k * 0x85ebca6b));
  let ts = natural;
  let late = false;
  if (k >= 1_200 && h % 400 === 0) {
    ts = natural - lateByMs - ((h >>> 9) % 60_000);
    late = true;
  } else if (h % 10 < 2) {
    ts = natural - 1 - ((h >>> 4) % disorderMs);
  }
  // An episode in one minute of the sensor's readings out of 12: a spike, then a vibration rise.
  const block = Math.floor(k / 60);
  const e = lowbias32(sensorId * 7919 + block * 31 + opts.seed);
  const inBlock = k % 60;
  const episode = e % 12 === 0;
  const spikeAt = (e >>> 5) % 20;
  const riseAt = spikeAt + 1 + ((e >>> 10) % 45);
  let temperature = 18 + (sensorId % 12) + ((h >>> 12) % 100) / 50 - 1;
  let vibration = 1 + ((h >>> 20) % 50) / 100;
  if (episode && inBlock === spikeAt) temperature += 35;
  if (episode && inBlock >= riseAt && inBlock < riseAt + 4) vibration += 4;
  return { reading: { sensor: `sensor-${sensorId}`, ts, temperature: round3(temperature), vibration: round3(vibration) }, late };
}

export const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** The readings as a source: partition p emits sensorReading(opts, p, 0..), at the rate, resumable. */
export function sensorSource(opts: SensorOptions): SourceSpec<SensorReading> {
  return {
    kind: 'iot-sensors',
    partitions: () => opts.partitions,
    open(p, ctx, from) {
      let next = typeof from === 'number' ? from : 0;
      const total = partitionCount(opts, p);
      const perPartitionRate = opts.ratePerSec / opts.partitions;
      const dueAt = (j: number) => ctx.startMs + (j * 1000) / perPartitionRate;
      return {
        poll(max, out) {
          if (next >= total) return END;
          let n = 0;
          const now = ctx.nowMs();
          while (n < max && next < total && (perPartitionRate <= 0 || dueAt(next) <= now)) {
            const { reading } = sensorReading(opts, p, next);
            out.emit(reading, next, reading.ts, perPartitionRate > 0 ? dueAt(next) : now);
            next++;
            n++;
          }
          return n;
        },
        idleMs: () => (perPartitionRate > 0 && next < total ? Math.max(0, dueAt(next) - ctx.nowMs()) : undefined),
        position: () => next,
        close() {},
      };
    },
  };
}
