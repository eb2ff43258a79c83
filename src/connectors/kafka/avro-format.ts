/**
 * avroFormat: Kafka record values in Avro binary, in the Confluent wire format (confluent-wire.ts),
 * their schemas in a Confluent-compatible schema registry (schema-registry.ts).
 *
 * Reading: each value names its writer schema by id; the writer schema is fetched once per id and
 * resolved against the reader schema (`schema`) with Avro's schema resolution (avsc's
 * createResolver): fields added with a default, removed fields, promoted types. A value whose
 * writer schema cannot be resolved, whose id the registry does not know, or that is not in the
 * wire format goes to the dead letters with the reason.
 *
 * Writing: `schema` is the writer schema, registered at the sink's open under the subject
 * `<topic>-value` (Confluent's TopicNameStrategy) or `subject`; the registry's compatibility
 * rules may refuse it, which fails the open.
 */
import type * as Avro from 'avsc';
import { WeirError } from '../../errors.ts';
import { limits } from '../../limits.ts';
import { unknownSchemaIds, wireHeader, wireSchemaId } from './confluent-wire.ts';
import { SchemaRegistryClient, type SchemaRegistryOptions } from './schema-registry.ts';
import type { SchemaFormat } from './format.ts';
import { lazyRequire } from '../../util/lazy-require.ts';
import { checkKnownKeys, type KeySet } from '../../util/known-keys.ts';

/** Loaded when a job first builds the format (util/lazy-require.ts). */
const avro = lazyRequire<typeof Avro>('avsc');

export interface AvroFormatOptions {
  /** The registry: its URL or { url, headers, requestTimeoutMs }. */
  registry: string | SchemaRegistryOptions;
  /** The Avro schema (object or JSON text): the reader schema of a source, the writer schema of a sink. */
  schema: object | string;
  /** Sinks: the subject the schema is registered under; default `<topic>-value`. */
  subject?: string;
}

/** What one writer schema id resolves to: a resolver into the reader type, or why it cannot be read. */
type Resolution = { resolver: Avro.Resolver } | { failure: string };

const avroFormatKeys = { registry: true, schema: true, subject: true } as const satisfies KeySet<AvroFormatOptions>;

export function avroFormat<T = unknown>(options: AvroFormatOptions): SchemaFormat<T> {
  checkKnownKeys('avroFormat', options, avroFormatKeys);
  if (options === null || typeof options !== 'object') throw new WeirError('WEIR_CONFIG', 'avroFormat: options { registry, schema } are required');
  const registry = new SchemaRegistryClient(typeof options.registry === 'string' ? { url: options.registry } : options.registry);
  let type: Avro.Type;
  try {
    type = avro().Type.forSchema((typeof options.schema === 'string' ? JSON.parse(options.schema) : options.schema) as Avro.Schema);
  } catch (err) {
    throw new WeirError('WEIR_CONFIG', `avroFormat: the schema is not a valid Avro schema: ${(err as Error).message}`, { cause: err });
  }
  const schemaText = JSON.stringify(type.schema());
  const resolutions = new Map<number, Resolution>();
  let header: Buffer | undefined;

  const resolve = async (id: number): Promise<void> => {
    const writer = await registry.schemaById(id);
    if (writer === undefined) {
      resolutions.set(id, { failure: `schema id ${id} is not in the schema registry` });
      return;
    }
    if (writer.schemaType !== 'AVRO') {
      resolutions.set(id, { failure: `schema id ${id} is a ${writer.schemaType} schema, not Avro` });
      return;
    }
    try {
      resolutions.set(id, { resolver: type.createResolver(avro().Type.forSchema(JSON.parse(writer.schema))) });
    } catch (err) {
      resolutions.set(id, { failure: `its writer schema (id ${id}) cannot be read with the reader schema: ${(err as Error).message}` });
    }
  };

  return {
    schemaFormat: 'avro',
    async prepareDecode(values) {
      for (const id of unknownSchemaIds(values, (id) => resolutions.has(id))) await resolve(id);
    },
    decode(value) {
      const id = wireSchemaId(value);
      const resolution = resolutions.get(id);
      // prepareDecode saw every value before decode: an id missing here is a bug in the reader.
      if (resolution === undefined) throw new WeirError('WEIR_INTERNAL', `avroFormat: schema id ${id} was not fetched before decoding`);
      if ('failure' in resolution) throw new Error(resolution.failure);
      return type.fromBuffer(value.subarray(limits.confluentWireHeaderBytes), resolution.resolver) as T;
    },
    async prepareEncode(topic) {
      header ??= wireHeader(await registry.register(options.subject ?? `${topic}-value`, schemaText, 'AVRO'));
    },
    encode(value) {
      if (header === undefined) throw new WeirError('WEIR_INTERNAL', 'avroFormat: encode before the schema was registered');
      let body: Buffer;
      try {
        body = type.toBuffer(value);
      } catch (err) {
        throw new WeirError('WEIR_ENCODE', `avroFormat: the value does not fit the Avro schema: ${(err as Error).message}`, { cause: err });
      }
      return Buffer.concat([header, body]);
    },
  };
}
