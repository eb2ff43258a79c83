/**
 * The job's HTTP endpoint (RunOptions.http, `weir run --http PORT`): /metrics in the Prometheus
 * text format, /healthz and /readyz, the live web UI at / with the JSON it polls at /api/job.
 * Served by Node's own http module — a few fixed GET routes need no framework. Bound to 127.0.0.1 unless a host is given: the endpoint has no
 * authentication, so exposing it beyond the machine is a deliberate choice.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WeirError } from '../errors.ts';
import type { JobMetrics } from '../runtime/metrics.ts';
import { jobMetricsExposition } from './prometheus.ts';
import { jobViewJson, type JobGraphView } from './job-view.ts';
import { uiPage } from './ui-page.ts';
import { answerStateQuery, type StateQueryFn } from './state-route.ts';
import { latencyBucketBoundsMs, latencyHistogram } from '../runtime/instrumentation/sink-latency.ts';

export interface HttpOptions {
  /** The TCP port; 0 picks a free one (read it from JobHandle.http). */
  port: number;
  /** The address to listen on. Default 127.0.0.1 (this machine only); '0.0.0.0' or '::' for every interface. */
  host?: string;
}

/** Where a running job's endpoint listens. */
export interface HttpAddress {
  host: string;
  port: number;
  /** `http://host:port` (an IPv6 host in brackets). */
  url: string;
}

export interface JobEndpoint {
  readonly address: HttpAddress;
  close(): Promise<void>;
}

export const defaultHttpHost = '127.0.0.1';

/** Throws WEIR_CONFIG when the options cannot describe an address. */
export function checkHttpOptions(http: HttpOptions): void {
  const { port, host } = http;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new WeirError('WEIR_CONFIG', `http.port must be an integer from 0 to 65535, not ${JSON.stringify(port)}`);
  if (host !== undefined && (typeof host !== 'string' || host === '')) throw new WeirError('WEIR_CONFIG', `http.host must be a host name or address, not ${JSON.stringify(host)}`);
}

/**
 * Starts listening; resolves once the port is bound. `metrics` is read at each request: the
 * handle's metrics(), bound late, since the endpoint listens before the job's threads start (a
 * port that cannot be bound fails run() before anything runs); undefined until then.
 */
export async function startJobEndpoint(
  http: HttpOptions,
  metrics: () => JobMetrics | undefined,
  info: { jobName: string; mode: string; parallelism: number; graph: JobGraphView },
  queryState: StateQueryFn,
): Promise<JobEndpoint> {
  checkHttpOptions(http);
  const exposition = jobMetricsExposition(() => metrics() ?? notStarted(), info);
  const server = createServer((req, res) => {
    void route(req, res).catch((err: unknown) => reply(res, 500, `${(err as Error).message}\n`));
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'only GET and HEAD\n', { Allow: 'GET, HEAD' });
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    switch (path) {
      case '/metrics':
        return reply(res, 200, await exposition.render(), { 'Content-Type': exposition.contentType });
      case '/':
        return reply(res, 200, uiPage, { 'Content-Type': 'text/html; charset=utf-8' });
      case '/api/job': {
        const view = { name: info.jobName, mode: info.mode, parallelism: info.parallelism, atMs: Date.now(), graph: info.graph, metrics: metrics() ?? notStarted() };
        return reply(res, 200, jobViewJson(view), { 'Content-Type': 'application/json; charset=utf-8' });
      }
      case '/healthz':
        return reply(res, 200, 'ok\n');
      case '/readyz': {
        // Ready: every worker passed the start gate (after a restart: the new attempt did) and the
        // job is not stopping or over.
        const state = metrics()?.state ?? 'starting';
        return reply(res, state === 'running' ? 200 : 503, `${state}\n`);
      }
      default:
        if (path.startsWith('/state/')) return answerStateQuery(req, res, queryState);
        return reply(res, 404, 'not found: the endpoint serves /, /api/job, /state/<operator>/<state>/<key>, /metrics, /healthz and /readyz\n');
    }
  }

  const host = http.host ?? defaultHttpHost;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new WeirError('WEIR_CONFIG', `http: cannot listen on ${host}:${http.port}: ${err.code ?? err.message}`, { cause: err })));
    server.listen(http.port, host, () => resolve());
  });
  // The job's own keep-alive holds the process while it runs; the endpoint must not outlive it.
  server.unref();
  const bound = server.address() as AddressInfo;
  const urlHost = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    address: { host: bound.address, port: bound.port, url: `http://${urlHost}:${bound.port}` },
    close: () => closeServer(server),
  };
}

/**
 * `done`, settling only once the endpoint is closed: the endpoint serves until the job is over
 * (/readyz says 503 while it stops), and its port is free when the caller learns so.
 */
export function closedWhenSettled<T>(done: Promise<T>, endpoint: JobEndpoint): Promise<T> {
  const ended = done.then(
    async (result) => {
      await endpoint.close();
      return result;
    },
    async (err: unknown) => {
      await endpoint.close();
      throw err;
    },
  );
  ended.catch(() => {});
  return ended;
}

/** What metrics() would say before the first attempt started. */
function notStarted(): JobMetrics {
  return { elapsedMs: 0, state: 'starting', operators: [], channels: [], sources: [], deadLetters: 0, epochsCompleted: 0, connectionRetries: 0, watermarkAlignment: [], restarts: [], latency: latencyHistogram(new Float64Array(latencyBucketBoundsMs.length), 0) };
}

export function reply(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** Stops listening and ends open keep-alive connections (a scraper holds one), then resolves. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
