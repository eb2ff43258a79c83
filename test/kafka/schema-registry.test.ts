/**
 * The tests' schema registry (Apicurio Registry, test/kafka/schema-registry.ts) speaks the
 * Confluent API that weir's schema-registry client uses: these pin the answers the Avro and
 * Protobuf codec tests rely on.
 */
import { describe, expect, it } from 'vitest';
import { sharedSchemaRegistry, uniqueTopic } from './shared-broker.ts';

const json = 'application/vnd.schemaregistry.v1+json';

async function call(url: string, method = 'GET', body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(url, { method, headers: { 'Content-Type': json }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

const v1 = { type: 'record', name: 'Reading', fields: [{ name: 'sensor', type: 'string' }] };
const v2 = { ...v1, fields: [...v1.fields, { name: 'unit', type: 'string', default: 'C' }] };

describe('the tests\' schema registry (Apicurio Registry, Confluent-compatible API)', () => {
  it('registers a subject\'s schemas under ids, gives the same id for the same schema, and serves a schema by its id', async () => {
    const url = await sharedSchemaRegistry();
    const subject = `${uniqueTopic('registry')}-value`;
    const first = await call(`${url}/subjects/${subject}/versions`, 'POST', { schema: JSON.stringify(v1) });
    const second = await call(`${url}/subjects/${subject}/versions`, 'POST', { schema: JSON.stringify(v2) });
    const again = await call(`${url}/subjects/${subject}/versions`, 'POST', { schema: JSON.stringify(v1) });
    expect(first.status).toBe(200);
    expect(second.body.id).not.toBe(first.body.id);
    expect(again.body.id).toBe(first.body.id);
    const byId = await call(`${url}/schemas/ids/${second.body.id}`);
    expect(JSON.parse(byId.body.schema)).toEqual(v2);
    const unknown = await call(`${url}/schemas/ids/987654321`);
    expect(unknown.status).toBe(404);
  });

  it('refuses a schema that breaks the subject\'s BACKWARD compatibility', async () => {
    const url = await sharedSchemaRegistry();
    const subject = `${uniqueTopic('registry')}-value`;
    await call(`${url}/subjects/${subject}/versions`, 'POST', { schema: JSON.stringify(v1) });
    expect((await call(`${url}/config/${subject}`, 'PUT', { compatibility: 'BACKWARD' })).status).toBe(200);
    const broken = { ...v1, fields: [{ name: 'sensor', type: 'int' }] };
    const refused = await call(`${url}/subjects/${subject}/versions`, 'POST', { schema: JSON.stringify(broken) });
    expect(refused.status).toBe(409);
  });
});
