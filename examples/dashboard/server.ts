// The embedding service of the live dashboard: runs the dashboard job (job.ts) in this process,
// reads its upserts as they come through job.results('dashboard'), keeps the latest value of each
// key, and serves the live page (page.ts) over node:http:
//
//   GET /        the page
//   GET /events  server-sent events: a snapshot of every key, then each upsert as it arrives,
//                then 'end' when the job is over
//   GET /state   the current figures as JSON
//
//   node bin/run-ts.mjs examples/dashboard/server.ts                 # http://127.0.0.1:8080/
//   PORT=9000 node bin/run-ts.mjs examples/dashboard/server.ts rate=5000 seconds=600
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { run, type JobHandle, type JobResult, type RunOptions } from '../../src/runtime/index.ts';
import type { DashboardUpsert } from './job.ts';
import { dashboardPage } from './page.ts';

export interface Dashboard {
  /** Where the page is served. */
  url: string;
  job: JobHandle;
  /** The latest value of every key the job has emitted (what the page shows). */
  figures: Map<string, unknown>;
  /** Resolves when the job is over and every upsert has been read (rejects if the job fails). */
  done: Promise<JobResult>;
  close(): Promise<void>;
}

export async function startDashboard(opts: { port?: number; host?: string; params?: Record<string, string>; run?: Omit<RunOptions, 'params'> } = {}): Promise<Dashboard> {
  const figures = new Map<string, unknown>();
  const clients = new Set<ServerResponse>();
  let ended: { failed: boolean } | undefined;
  const send = (res: ServerResponse, event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(dashboardPage);
    } else if (path === '/state') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ figures: Object.fromEntries(figures), ended: ended !== undefined }));
    } else if (path === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      for (const [key, value] of figures) send(res, 'upsert', { key, value });
      if (ended !== undefined) {
        send(res, 'end', ended);
        res.end();
        return;
      }
      clients.add(res);
      req.on('close', () => clients.delete(res));
    } else {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 8080, opts.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const job = await run(new URL('./job.ts', import.meta.url), { ...opts.run, params: { ...opts.params, sink: 'results' } });
  const finish = (failed: boolean) => {
    ended = { failed };
    for (const res of clients) {
      send(res, 'end', ended);
      res.end();
    }
    clients.clear();
  };
  // Read the upserts from the moment the job runs: a results sink nobody reads holds the job back.
  const done = (async () => {
    try {
      for await (const upsert of job.results<DashboardUpsert>('dashboard')) {
        figures.set(upsert.key, upsert.value);
        for (const res of clients) send(res, 'upsert', upsert);
      }
      const result = await job.done;
      finish(false);
      return result;
    } catch (err) {
      finish(true);
      throw err;
    }
  })();
  done.catch(() => {});

  return {
    url: `http://127.0.0.1:${port}/`,
    job,
    figures,
    done,
    async close() {
      if (ended === undefined) await job.stop().catch(() => {});
      await done.catch(() => {});
      for (const res of clients) res.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const params = Object.fromEntries(process.argv.slice(2).map((a) => a.split('=', 2) as [string, string]));
  const dashboard = await startDashboard({ port: Number(process.env.PORT ?? 8080), params: { rate: '5000', seconds: '600', ...params } });
  console.log(`dashboard: ${dashboard.url}`);
  const stop = () => void dashboard.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  await dashboard.done.catch((err) => console.error(err));
  console.log('dashboard: the job is over; the page keeps its last figures (Ctrl-C to quit)');
}
