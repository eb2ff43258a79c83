/**
 * A small client of a Confluent-compatible schema registry (Confluent Schema Registry, Apicurio's
 * /apis/ccompat/v7, Karapace): registers a subject's schema and gets its id, gets a schema by
 * id. Answers are cached for the life of the client: a schema id always names the same schema.
 */
import { WeirError } from '../../errors.ts';
import { limits } from '../../limits.ts';

export interface SchemaRegistryOptions {
  /** Base URL of the registry's Confluent API, e.g. http://127.0.0.1:8081 or …/apis/ccompat/v7. */
  url: string;
  /** Extra request headers (e.g. authorization). */
  headers?: Record<string, string>;
  requestTimeoutMs?: number;
}

export type SchemaType = 'AVRO' | 'PROTOBUF' | 'JSON';

export interface RegisteredSchema {
  schema: string;
  schemaType: SchemaType;
}

const contentType = 'application/vnd.schemaregistry.v1+json';

export class SchemaRegistryClient {
  private readonly url: string;
  private readonly byId = new Map<number, Promise<RegisteredSchema | undefined>>();
  private readonly ids = new Map<string, Promise<number>>();

  constructor(private readonly options: SchemaRegistryOptions) {
    if (typeof options?.url !== 'string' || !/^https?:\/\//.test(options.url)) {
      throw new WeirError('WEIR_CONFIG', `schema registry: url must be an http(s) URL, got ${JSON.stringify(options?.url)}`);
    }
    this.url = options.url.replace(/\/+$/, '');
  }

  /** Registers `schema` under `subject` (the registry's compatibility rules decide) and returns its id; the same schema again gets the same id. */
  register(subject: string, schema: string, schemaType: SchemaType): Promise<number> {
    const key = `${subject}\u0000${schemaType}\u0000${schema}`;
    let id = this.ids.get(key);
    if (id === undefined) {
      const body = schemaType === 'AVRO' ? { schema } : { schema, schemaType };
      id = this.request('POST', `/subjects/${encodeURIComponent(subject)}/versions`, body).then(({ status, json }) => {
        if (status === 200 && Number.isInteger(json?.id)) return json.id as number;
        throw new WeirError('WEIR_CONFIG', `schema registry ${this.url}: cannot register the schema under subject ${subject} (HTTP ${status}${status === 409 ? ': incompatible with the subject\'s earlier schemas' : ''}): ${describe(json)}`);
      });
      this.ids.set(key, id);
      id.catch(() => this.ids.delete(key)); // a failure is not cached: the next open asks again
    }
    return id;
  }

  /** The schema with this id; undefined when the registry has none (an unknown id is a property of the record, not an outage). */
  schemaById(id: number): Promise<RegisteredSchema | undefined> {
    let found = this.byId.get(id);
    if (found === undefined) {
      found = this.request('GET', `/schemas/ids/${id}`).then(({ status, json }) => {
        if (status === 404) return undefined;
        if (status === 200 && typeof json?.schema === 'string') return { schema: json.schema as string, schemaType: (json.schemaType ?? 'AVRO') as SchemaType };
        throw retriable(new Error(`schema registry ${this.url}: GET /schemas/ids/${id} answered HTTP ${status}: ${describe(json)}`));
      });
      this.byId.set(id, found);
      found.catch(() => this.byId.delete(id));
    }
    return found;
  }

  private async request(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
    let response: Response;
    try {
      response = await fetch(`${this.url}${path}`, {
        method,
        headers: { Accept: contentType, ...(body === undefined ? {} : { 'Content-Type': contentType }), ...this.options.headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? limits.schemaRegistryRequestTimeoutMs),
      });
    } catch (err) {
      // Unreachable or too slow: an outage, retried by the connector like a broker outage.
      throw retriable(new Error(`schema registry ${this.url}: ${method} ${path} failed: ${(err as Error).message}`, { cause: err }));
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: response.status, json };
  }
}

function retriable(err: Error): Error {
  return Object.assign(err, { retriable: true });
}

function describe(json: unknown): string {
  if (json && typeof json === 'object' && 'message' in json) return String((json as { message: unknown }).message);
  return typeof json === 'string' ? json.slice(0, 500) : JSON.stringify(json);
}
