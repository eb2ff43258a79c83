// The test broker's own start-up: a broker that cannot start fails with an error naming its log
// file (the Kafka tests fail then; they never skip).
import { createServer, type Server } from 'node:net';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startKafkaBroker } from './real-broker.ts';

const servers: Server[] = [];
afterAll(() => servers.forEach((s) => s.close()));

describe('the test Kafka broker', () => {
  it('that cannot start (its port is taken) fails with an error naming its log file, which says why', async () => {
    const taken = createServer();
    servers.push(taken);
    const port = await new Promise<number>((resolve) => taken.listen(0, '127.0.0.1', () => resolve((taken.address() as { port: number }).port)));
    const err = await startKafkaBroker({ port }).then(() => undefined, (e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    const logFile = /its log: (\S+broker\.log)/.exec(err!.message)?.[1];
    expect(logFile, err!.message).toBeDefined();
    expect(existsSync(logFile!)).toBe(true);
    expect(readFileSync(logFile!, 'utf8')).toMatch(/Address already in use|BindException/);
    rmSync(dirname(logFile!), { recursive: true, force: true }); // the broker's temp dir, kept for its log
  });
});
