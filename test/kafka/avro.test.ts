/**
 * Avro values through Kafka in the Confluent wire format, their schemas in a real schema registry
 * (the run's Apicurio Registry) and a real broker: schema evolution read with a reader schema, and
 * every record that cannot be read in the dead letters with its reason and position.
 */
import avro from 'avsc';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { avroFormat } from '../../src/connectors/kafka/avro-format.ts';
import { SchemaRegistryClient } from '../../src/connectors/kafka/schema-registry.ts';
import { run } from '../../src/runtime/index.ts';
import { jobUrl, waitLimitMs } from '../helpers.ts';
import { AVRO_READING_V1 as READING_V1, AVRO_READING_V2 as READING_V2 } from '../jobs/kafka-schema-readings.ts';
import { sharedKafka, sharedSchemaRegistry, uniqueTopic, type SharedKafka } from './shared-broker.ts';
import { produce, readTopic, recordsIn, runUntil } from './util.ts';

let kafka: SharedKafka;
let registry: string;
beforeAll(async () => {
  [kafka, registry] = await Promise.all([sharedKafka(), sharedSchemaRegistry()]);
});

/** The records of `topic` as they are in Kafka (their values' bytes). */
function readBytes(topic: string, partitions: number, count: number) {
  return readTopic<Buffer>(kafka.bootstrap, topic, partitions, count, waitLimitMs, 'read_uncommitted', 'bytes');
}

function header(id: number): Buffer {
  const b = Buffer.alloc(5);
  b.writeUInt32BE(id, 1);
  return b;
}

describe('Avro in the Confluent wire format, against a real schema registry', () => {
  it('a sink writes magic byte 0, the registered schema id and the Avro body; the registry serves that schema by its id', async () => {
    const topic = uniqueTopic('avro_wire');
    await kafka.createTopic(topic, 1);
    const job = await run(jobUrl('kafka-schema-readings'), { params: { format: 'avro', brokers: kafka.bootstrap.join(','), registry, topic, role: 'write', count: '3' } });
    await job.done;
    const raw = (await readBytes(topic, 1, 3)).map((r) => r.value);
    const id = raw[0].readUInt32BE(1);
    const writer = await new SchemaRegistryClient({ url: registry }).schemaById(id);
    expect(JSON.parse(writer!.schema)).toEqual(READING_V1);
    const type = avro.Type.forSchema(READING_V1 as avro.Schema);
    expect(raw.map((b) => [b[0], b.readUInt32BE(1), { ...(type.fromBuffer(b.subarray(5)) as object) }])).toEqual([
      [0, id, { sensor: 's0', celsius: 0.5 }],
      [0, id, { sensor: 's1', celsius: 1.5 }],
      [0, id, { sensor: 's2', celsius: 2.5 }],
    ]);
  });

  it('a reader schema reads records of an older and a newer compatible writer schema; an incompatible writer schema, an unknown schema id and a wrong magic byte go to the dead letters with the reason, partition and offset', async () => {
    const topic = uniqueTopic('avro_evolution');
    await kafka.createTopic(topic, 2);
    const brokers = kafka.bootstrap.join(',');
    // A weir job writes 4 records with schema V1 (keyed by sensor: spread over both partitions).
    await (await run(jobUrl('kafka-schema-readings'), { params: { format: 'avro', brokers, registry, topic, role: 'write', count: '4' } })).done;
    // Another producer writes with V2, registered under the same subject (a compatible change).
    const v2 = avroFormat<{ sensor: string; celsius: number; unit: string }>({ registry, schema: READING_V2 });
    await v2.prepareEncode(topic);
    // A third writes with a schema under another subject whose `celsius` is a string: V2 cannot read it.
    const incompatible = avroFormat({ registry, schema: { ...READING_V1, fields: [{ name: 'sensor', type: 'string' }, { name: 'celsius', type: 'string' }] }, subject: `${topic}-other-value` });
    await incompatible.prepareEncode(topic);
    await produce(kafka.bootstrap, topic, [
      { partition: 0, value: v2.encode({ sensor: 'f0', celsius: 32, unit: 'F' }) },
      { partition: 1, value: incompatible.encode({ sensor: 'x', celsius: 'hot' }) },
      { partition: 1, value: Buffer.concat([header(2_000_000_000), Buffer.from([2, 0x61])]) },
      { partition: 0, value: Buffer.from('{"sensor":"json"}') },
      { partition: 1, value: v2.encode({ sensor: 'k1', celsius: 274, unit: 'K' }) },
    ]);
    const before = await readBytes(topic, 2, 9);
    const offsetOf = (partition: number, index: number) => before.filter((r) => r.partition === partition)[index].offset;
    const p0 = before.filter((r) => r.partition === 0).length;
    const p1 = before.filter((r) => r.partition === 1).length;

    const handle = await run(jobUrl('kafka-schema-readings'), { parallelism: 1, params: { format: 'avro', brokers, registry, topic, partitions: '2', role: 'read' } });
    const result = await runUntil(handle, () => recordsIn(handle, 'readings') >= 6 && handle.metrics().deadLetters >= 3);
    const readings = (result.results.readings as Array<{ sensor: string; celsius: number; unit: string }>).map((r) => ({ ...r }));
    expect(readings.map(({ sensor, celsius, unit }) => ({ sensor, celsius, unit })).sort((a, b) => a.sensor.localeCompare(b.sensor))).toEqual([
      { sensor: 'f0', celsius: 32, unit: 'F' },
      { sensor: 'k1', celsius: 274, unit: 'K' },
      { sensor: 's0', celsius: 0.5, unit: 'C' }, // written with V1: the reader schema's default fills in
      { sensor: 's1', celsius: 1.5, unit: 'C' },
      { sensor: 's2', celsius: 2.5, unit: 'C' },
      { sensor: 's3', celsius: 3.5, unit: 'C' },
    ]);
    expect(result.metrics.deadLetters).toBe(3);
    const dead = readdirSync(result.workDir)
      .filter((f) => /^dead-letters(-\d+)?\.jsonl$/.test(f))
      .flatMap((f) => readFileSync(join(result.workDir, f), 'utf8').trim().split('\n'))
      .map((l) => JSON.parse(l));
    const where = (partition: number, offset: number) => `topic ${topic} partition ${partition} at offset ${offset}`;
    const incompatibleAt = offsetOf(1, p1 - 3);
    const unknownAt = offsetOf(1, p1 - 2);
    const notWireAt = offsetOf(0, p0 - 1);
    expect(dead.sort((a, b) => a.partition - b.partition || a.offset - b.offset)).toEqual([
      { source: 'kafka-avro-in', partition: 0, offset: notWireAt, raw: Buffer.from('{"sensor":"json"}').toString('base64').replace(/^/, 'base64:'), reason: expect.stringMatching(new RegExp(`${where(0, notWireAt)}: .*magic byte 0 \\(it starts with 123\\)`)) },
      { source: 'kafka-avro-in', partition: 1, offset: incompatibleAt, raw: expect.stringMatching(/^base64:/), reason: expect.stringMatching(new RegExp(`${where(1, incompatibleAt)}: its writer schema \\(id \\d+\\) cannot be read with the reader schema`)) },
      { source: 'kafka-avro-in', partition: 1, offset: unknownAt, raw: expect.stringMatching(/^base64:/), reason: expect.stringMatching(new RegExp(`${where(1, unknownAt)}: schema id 2000000000 is not in the schema registry`)) },
    ]);
  });
});
