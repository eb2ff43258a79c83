/**
 * protobufFormat: Kafka record values in Protobuf, in the Confluent wire format — magic byte 0,
 * the 4-byte schema id, the message-index array (which message of the .proto file: zigzag
 * varints, a count then the indexes; a single 0 for the file's first message), then the body.
 *
 * Reading: each value's writer schema is fetched once per id and its message (by the index path)
 * is checked against the reader's message type: fields with the same number must have the same
 * type and cardinality, then the body is decoded with the reader's type (fields the reader does
 * not know are skipped; fields the writer did not have get proto3 defaults). A writer message
 * that conflicts, an unknown id, a schema that is not Protobuf or a value not in the wire format
 * goes to the dead letters with the reason.
 *
 * Writing: the .proto text is registered at the sink's open under `<topic>-value` (or `subject`).
 */
import type * as Protobuf from 'protobufjs';
import { WeirError } from '../../errors.ts';
import { limits } from '../../limits.ts';
import { unknownSchemaIds, wireHeader, wireSchemaId } from './confluent-wire.ts';
import { SchemaRegistryClient, type SchemaRegistryOptions } from './schema-registry.ts';
import type { SchemaFormat } from './format.ts';
import { lazyRequire } from '../../util/lazy-require.ts';
import { checkKnownKeys, type KeySet } from '../../util/known-keys.ts';

/** Loaded when a job first builds the format (util/lazy-require.ts). */
const protobuf = lazyRequire<typeof Protobuf>('protobufjs');

export interface ProtobufFormatOptions {
  /** The registry: its URL or { url, headers, requestTimeoutMs }. */
  registry: string | SchemaRegistryOptions;
  /** The .proto file's text: the reader's for a source, the writer's for a sink. */
  schema: string;
  /** The message type of the values, by its full name (with the package), e.g. 'demo.Reading'. */
  messageType: string;
  /** Sinks: the subject the schema is registered under; default `<topic>-value`. */
  subject?: string;
}

type Resolution = { ok: true } | { failure: string };

const protobufFormatKeys = { registry: true, schema: true, messageType: true, subject: true } as const satisfies KeySet<ProtobufFormatOptions>;

export function protobufFormat<T = unknown>(options: ProtobufFormatOptions): SchemaFormat<T> {
  checkKnownKeys('protobufFormat', options, protobufFormatKeys);
  if (options === null || typeof options !== 'object') throw new WeirError('WEIR_CONFIG', 'protobufFormat: options { registry, schema, messageType } are required');
  const registry = new SchemaRegistryClient(typeof options.registry === 'string' ? { url: options.registry } : options.registry);
  let type: Protobuf.Type;
  let indexes: number[];
  try {
    const root = protobuf().parse(options.schema, { keepCase: true }).root;
    type = root.lookupType(options.messageType);
    indexes = messageIndexes(root, type);
  } catch (err) {
    throw new WeirError('WEIR_CONFIG', `protobufFormat: cannot find message ${options.messageType} in the schema: ${(err as Error).message}`, { cause: err });
  }
  const resolutions = new Map<string, Resolution>(); // by `${id}/${index path}`
  const writers = new Map<number, Protobuf.Root | string>(); // a parsed writer file, or why there is none
  let header: Buffer | undefined;

  const fetchWriter = async (id: number): Promise<void> => {
    const writer = await registry.schemaById(id);
    if (writer === undefined) writers.set(id, `schema id ${id} is not in the schema registry`);
    else if (writer.schemaType !== 'PROTOBUF') writers.set(id, `schema id ${id} is a ${writer.schemaType} schema, not Protobuf`);
    else {
      try {
        writers.set(id, protobuf().parse(writer.schema, { keepCase: true }).root);
      } catch (err) {
        writers.set(id, `schema id ${id} does not parse as Protobuf: ${(err as Error).message}`);
      }
    }
  };

  const resolution = (id: number, path: number[]): Resolution => {
    const key = `${id}/${path.join('.')}`;
    let found = resolutions.get(key);
    if (found === undefined) {
      const writer = writers.get(id);
      if (writer === undefined) throw new WeirError('WEIR_INTERNAL', `protobufFormat: schema id ${id} was not fetched before decoding`);
      found = typeof writer === 'string' ? { failure: writer } : compare(writer, path, id);
      resolutions.set(key, found);
    }
    return found;
  };

  const compare = (writer: Protobuf.Root, path: number[], id: number): Resolution => {
    const message = messageAt(writer, path);
    if (message === undefined) return { failure: `its writer schema (id ${id}) has no message at index ${path.join('.')}` };
    for (const field of type.fieldsArray) {
      const theirs = message.fieldsById[field.id];
      if (theirs !== undefined && (theirs.type !== field.type || theirs.repeated !== field.repeated)) {
        return { failure: `its writer schema (id ${id}) cannot be read with the reader schema: field ${field.id} is ${describeField(theirs)} in ${message.fullName.slice(1)}, ${describeField(field)} in ${type.fullName.slice(1)}` };
      }
    }
    return { ok: true };
  };

  return {
    schemaFormat: 'protobuf',
    async prepareDecode(values) {
      for (const id of unknownSchemaIds(values, (id) => writers.has(id))) await fetchWriter(id);
    },
    decode(value) {
      const id = wireSchemaId(value);
      const reader = protobuf().Reader.create(value.subarray(limits.confluentWireHeaderBytes));
      const path = readMessageIndexes(reader);
      const r = resolution(id, path);
      if ('failure' in r) throw new Error(r.failure);
      return type.toObject(type.decode(reader), { defaults: true, longs: Number, enums: String }) as T;
    },
    async prepareEncode(topic) {
      if (header !== undefined) return;
      const id = await registry.register(options.subject ?? `${topic}-value`, options.schema, 'PROTOBUF');
      header = Buffer.concat([wireHeader(id), writeMessageIndexes(indexes)]);
    },
    encode(value) {
      if (header === undefined) throw new WeirError('WEIR_INTERNAL', 'protobufFormat: encode before the schema was registered');
      const problem = type.verify(value as object);
      if (problem !== null) throw new WeirError('WEIR_ENCODE', `protobufFormat: the value does not fit message ${options.messageType}: ${problem}`);
      return Buffer.concat([header, type.encode(type.fromObject(value as object)).finish()]);
    },
  };
}

function describeField(f: Protobuf.Field): string {
  return `${f.repeated ? 'repeated ' : ''}${f.type}`;
}

/** The file's top-level messages in declaration order (below its package, if it has one). */
function topLevel(root: Protobuf.Namespace): Protobuf.Type[] {
  const types = root.nestedArray.filter((n): n is Protobuf.Type => n instanceof protobuf().Type);
  if (types.length > 0) return types;
  const namespaces = root.nestedArray.filter((n): n is Protobuf.Namespace => n instanceof protobuf().Namespace && !(n instanceof protobuf().Type));
  return namespaces.length === 1 ? topLevel(namespaces[0]) : [];
}

function nestedTypes(t: Protobuf.Type): Protobuf.Type[] {
  return t.nestedArray.filter((n): n is Protobuf.Type => n instanceof protobuf().Type);
}

function messageAt(root: Protobuf.Root, path: number[]): Protobuf.Type | undefined {
  let candidates = topLevel(root);
  let found: Protobuf.Type | undefined;
  for (const i of path) {
    found = candidates[i];
    if (found === undefined) return undefined;
    candidates = nestedTypes(found);
  }
  return found;
}

function messageIndexes(root: Protobuf.Root, type: Protobuf.Type): number[] {
  const path: number[] = [];
  let t: Protobuf.Type = type;
  while (t.parent instanceof protobuf().Type) {
    path.unshift(nestedTypes(t.parent).indexOf(t));
    t = t.parent;
  }
  const top = topLevel(root).indexOf(t);
  if (top < 0) throw new Error(`message ${type.fullName} is not declared in the file`);
  path.unshift(top);
  return path;
}

/** Confluent's message-index array: a single 0 for [0], else zigzag varints: the count, then each index. */
function writeMessageIndexes(path: number[]): Buffer {
  if (path.length === 1 && path[0] === 0) return Buffer.from([0]);
  const writer = protobuf().Writer.create();
  writer.sint32(path.length);
  for (const i of path) writer.sint32(i);
  return Buffer.from(writer.finish());
}

function readMessageIndexes(reader: protobuf.Reader): number[] {
  const count = reader.sint32();
  if (count === 0) return [0];
  if (count < 0 || count > 100) throw new Error(`the message-index array's count is ${count}`);
  return Array.from({ length: count }, () => reader.sint32());
}
