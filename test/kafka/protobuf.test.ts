/**
 * Protobuf values through Kafka in the Confluent wire format (magic byte, schema id, message-index
 * array, body), their schemas in a real schema registry (the run's Apicurio Registry) and a real
 * broker: schema evolution read with a reader schema, and records that cannot be read in the dead
 * letters with their reason and position.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { protobufFormat } from '../../src/connectors/kafka/protobuf-format.ts';
import { SchemaRegistryClient } from '../../src/connectors/kafka/schema-registry.ts';
import { run } from '../../src/runtime/index.ts';
import { jobUrl, waitLimitMs } from '../helpers.ts';
import { PROTO_READING_V1 as READING_V1, PROTO_READING_V2 as READING_V2 } from '../jobs/kafka-schema-readings.ts';
import { sharedKafka, sharedSchemaRegistry, uniqueTopic, type SharedKafka } from './shared-broker.ts';
import { produce, readTopic, recordsIn, runUntil } from './util.ts';

let kafka: SharedKafka;
let registry: string;
beforeAll(async () => {
  [kafka, registry] = await Promise.all([sharedKafka(), sharedSchemaRegistry()]);
});

describe('Protobuf in the Confluent wire format, against a real schema registry', () => {
  it('a reader schema reads records of an older and a newer writer schema; a conflicting field type and an unknown schema id go to the dead letters with the reason, partition and offset', async () => {
    const topic = uniqueTopic('protobuf_evolution');
    await kafka.createTopic(topic, 1);
    const brokers = kafka.bootstrap.join(',');
    // A weir job writes 2 records with V1.
    await (await run(jobUrl('kafka-schema-readings'), { params: { format: 'protobuf', brokers, registry, topic, role: 'write', count: '2' } })).done;
    const written = await readTopic<Buffer>(kafka.bootstrap, topic, 1, 2, waitLimitMs, 'read_uncommitted', 'bytes');
    // Magic byte 0, the id the registry serves V1 under, and the message index of the file's first message (a single 0).
    const id = written[0].value.readUInt32BE(1);
    expect([written[0].value[0], written[0].value[5]]).toEqual([0, 0]);
    expect((await new SchemaRegistryClient({ url: registry }).schemaById(id))?.schema.replace(/\s+/g, '')).toBe(READING_V1.replace(/\s+/g, ''));
    // Another producer writes with V2 under the same subject; a third with `celsius` as a string under another subject.
    const v2 = protobufFormat({ registry, schema: READING_V2, messageType: 'weir.test.Reading' });
    await v2.prepareEncode(topic);
    const conflicting = protobufFormat({ registry, schema: READING_V1.replace('double celsius', 'string celsius'), messageType: 'weir.test.Reading', subject: `${topic}-other-value` });
    await conflicting.prepareEncode(topic);
    const unknownId = Buffer.from([0, 0x77, 0x35, 0x94, 0x00, 0, 0x0a, 0x01, 0x78]);
    await produce(kafka.bootstrap, topic, [
      { value: v2.encode({ sensor: 'f0', celsius: 32, unit: 'F' }) }, // offset 2
      { value: conflicting.encode({ sensor: 'x', celsius: 'hot' }) }, // offset 3
      { value: unknownId }, // offset 4
      { value: v2.encode({ sensor: 'k1', celsius: 274, unit: 'K' }) }, // offset 5
    ]);

    const handle = await run(jobUrl('kafka-schema-readings'), { params: { format: 'protobuf', brokers, registry, topic, partitions: '1', role: 'read' } });
    const result = await runUntil(handle, () => recordsIn(handle, 'readings') >= 4 && handle.metrics().deadLetters >= 2);
    const readings = result.results.readings as Array<{ sensor: string; celsius: number; unit: string; offset: number }>;
    expect(readings.map(({ sensor, celsius, unit, offset }) => ({ sensor, celsius, unit, offset })).sort((a, b) => a.offset - b.offset)).toEqual([
      { sensor: 's0', celsius: 0.5, unit: '', offset: 0 }, // written with V1: proto3's default for the new field
      { sensor: 's1', celsius: 1.5, unit: '', offset: 1 },
      { sensor: 'f0', celsius: 32, unit: 'F', offset: 2 },
      { sensor: 'k1', celsius: 274, unit: 'K', offset: 5 },
    ]);
    expect(result.metrics.deadLetters).toBe(2);
    const dead = readdirSync(result.workDir)
      .filter((f) => /^dead-letters(-\d+)?\.jsonl$/.test(f))
      .flatMap((f) => readFileSync(join(result.workDir, f), 'utf8').trim().split('\n'))
      .map((l) => JSON.parse(l))
      .sort((a, b) => a.offset - b.offset);
    const where = (offset: number) => `topic ${topic} partition 0 at offset ${offset}`;
    expect(dead).toEqual([
      { source: 'kafka-protobuf-in', partition: 0, offset: 3, raw: expect.stringMatching(/^base64:/), reason: expect.stringMatching(new RegExp(`${where(3)}: its writer schema \\(id \\d+\\) cannot be read with the reader schema: field 2 is string in weir.test.Reading, double in weir.test.Reading`)) },
      { source: 'kafka-protobuf-in', partition: 0, offset: 4, raw: `base64:${unknownId.toString('base64')}`, reason: expect.stringMatching(new RegExp(`${where(4)}: schema id 2000000000 is not in the schema registry`)) },
    ]);
  });
});
