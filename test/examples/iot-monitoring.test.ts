// The IoT monitoring example (examples/iot/monitoring.ts) on real worker threads, in both modes,
// against its results computed by brute force from the generator's readings: per-minute average
// temperatures, 10-minute maximum vibrations every minute, running-deviation anomalies, the CEP
// alerts and unconfirmed spikes, and the late readings of each event-time operator.
import { describe, expect, it } from 'vitest';
import { compileNfa } from '../../src/cep/nfa-compiler.ts';
import { run } from '../../src/runtime/index.ts';
import { bruteForceMatches } from '../cep/brute-force.ts';
import { tempDirsPerTest } from '../helpers.ts';
import { spikeThenVibration, anomalyDeviations, anomalyMinSamples, type Anomaly, type LateReading, type MinuteAverage, type SpikeAlert, type VibrationMax } from '../../examples/iot/monitoring.ts';
import { partitionCount, round3, sensorReading, type SensorOptions, type SensorReading } from '../../examples/iot/readings.ts';
import { addSample, deviation, emptyStats, type RunningStats } from '../../examples/iot/running-stats.ts';

const newDir = tempDirsPerTest('weir-iot-');
const opts: SensorOptions = { partitions: 2, sensors: 20, count: 60_000, ratePerSec: 0, seed: 2026 };

function bruteForce() {
  // Readings in arrival order per sensor (a sensor is read from one partition, in offset order).
  const readings: Array<{ reading: SensorReading; late: boolean; j: number }> = [];
  for (let p = 0; p < opts.partitions; p++) for (let j = 0; j < partitionCount(opts, p); j++) readings.push({ ...sensorReading(opts, p, j), j });
  const onTime = readings.filter((r) => !r.late).map((r) => r.reading);

  const minutes = new Map<string, { sensor: string; minute: number; sum: number; n: number }>();
  const maxima = new Map<string, VibrationMax>();
  for (const r of onTime) {
    const minute = Math.floor(r.ts / 60_000) * 60_000;
    const m = minutes.get(`${r.sensor}/${minute}`) ?? { sensor: r.sensor, minute, sum: 0, n: 0 };
    m.sum += r.temperature;
    m.n++;
    minutes.set(`${r.sensor}/${minute}`, m);
    for (let back = 0; back < 10; back++) {
      const windowStart = minute - back * 60_000;
      const key = `${r.sensor}/${windowStart}`;
      const w = maxima.get(key) ?? { sensor: r.sensor, windowStart, maxVibration: -Infinity };
      w.maxVibration = Math.max(w.maxVibration, r.vibration);
      maxima.set(key, w);
    }
  }
  const averages: MinuteAverage[] = [...minutes.values()].map((m) => ({ sensor: m.sensor, minute: m.minute, avgTemperature: round3(m.sum / m.n), readings: m.n }));

  const stats = new Map<string, RunningStats>();
  const anomalies: Anomaly[] = [];
  for (const { reading: r } of readings) {
    const s = stats.get(r.sensor) ?? emptyStats();
    const sd = deviation(s);
    if (s.n >= anomalyMinSamples && Math.abs(r.temperature - s.mean) > anomalyDeviations * sd) anomalies.push({ sensor: r.sensor, ts: r.ts, temperature: r.temperature, mean: round3(s.mean), deviation: round3(sd) });
    stats.set(r.sensor, addSample(s, r.temperature));
  }

  const nfa = compileNfa(spikeThenVibration());
  const alerts: SpikeAlert[] = [];
  const unconfirmed: Array<{ sensor: string; spikeTs: number }> = [];
  const bySensor = new Map<string, Array<{ r: SensorReading; j: number }>>();
  for (const { reading, late, j } of readings) if (!late) bySensor.set(reading.sensor, [...(bySensor.get(reading.sensor) ?? []), { r: reading, j }]);
  for (const list of bySensor.values()) {
    list.sort((a, b) => a.r.ts - b.r.ts || a.j - b.j);
    const { matches, timedOut } = bruteForceMatches(nfa, list.map((x) => ({ ts: x.r.ts, value: x.r })));
    for (const m of matches) {
      const [spike, rise] = m.events.map((n) => list[n].r);
      alerts.push({ sensor: spike.sensor, spikeTs: spike.ts, temperature: spike.temperature, riseTs: rise.ts, vibration: rise.vibration });
    }
    for (const m of timedOut) unconfirmed.push({ sensor: list[m.events[0]].r.sensor, spikeTs: list[m.events[0]].r.ts });
  }

  const late: LateReading[] = readings.filter((r) => r.late).flatMap(({ reading: r }) => ['avg', 'max', 'cep'].map((operator) => ({ operator, sensor: r.sensor, ts: r.ts })));
  return { averages, maxima: [...maxima.values()], anomalies, alerts, unconfirmed, late };
}

const sorted = (xs: unknown) => (xs as unknown[]).map((x) => JSON.stringify(x)).sort();

describe('IoT monitoring example', () => {
  const expected = bruteForce();
  for (const mode of ['continuous', 'micro-batch'] as const) {
    it(`${mode}: every output equals brute force`, async () => {
      const params = { output: 'collect', rate: '0', partitions: String(opts.partitions), sensors: String(opts.sensors), count: String(opts.count), seed: String(opts.seed) };
      const result = await (await run(new URL('../../examples/iot/monitoring.ts', import.meta.url), { mode, workDir: newDir(), microBatchIntervalMs: 50, params })).done;
      const r = result.results;
      // The data exercise every output.
      expect(expected.alerts.length).toBeGreaterThan(20);
      expect(expected.unconfirmed.length).toBeGreaterThan(10);
      expect(expected.anomalies.length).toBeGreaterThan(20);
      expect(expected.late.length).toBeGreaterThan(30);
      expect(sorted(r['avg-temperature'])).toEqual(sorted(expected.averages));
      expect(sorted(r['max-vibration'])).toEqual(sorted(expected.maxima));
      expect(sorted(r.anomalies)).toEqual(sorted(expected.anomalies));
      expect(sorted(r.alerts)).toEqual(sorted(expected.alerts));
      expect(sorted(r['unconfirmed-spikes'])).toEqual(sorted(expected.unconfirmed));
      expect(sorted(r['late-readings'])).toEqual(sorted(expected.late));
    });
  }
});
