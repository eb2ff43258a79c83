/**
 * GET /state/<operator>/<state>/<key>[?from=&to=&limit=]: job.queryState over HTTP. Each segment
 * is URL-decoded; the key (and from/to) take the type of the state's keys. The answer is the
 * StateQueryResult as JSON; an error is { code, message } with 404 (WEIR_QUERY_NOT_FOUND), 400
 * (WEIR_QUERY_BAD_REQUEST) or 503 (WEIR_QUERY_UNAVAILABLE).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WeirError } from '../errors.ts';
import type { StateQueryRange, StateQueryResult } from '../runtime/job/state-query-client.ts';
import { reply } from './endpoint.ts';

export type StateQueryFn = (operator: string, state: string, key: unknown, range: StateQueryRange, keyText: boolean) => Promise<StateQueryResult>;

const statusOf: Record<string, number> = { WEIR_QUERY_NOT_FOUND: 404, WEIR_QUERY_BAD_REQUEST: 400, WEIR_QUERY_UNAVAILABLE: 503 };

export async function answerStateQuery(req: IncomingMessage, res: ServerResponse, queryState: StateQueryFn): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const json = { 'Content-Type': 'application/json; charset=utf-8' };
  try {
    const segments = url.pathname.slice('/state/'.length).split('/');
    if (segments.length !== 3 || segments.some((s) => s === '')) {
      throw new WeirError('WEIR_QUERY_BAD_REQUEST', `state query: the path is /state/<operator>/<state>/<key> (each part URL-encoded), not ${url.pathname}`);
    }
    const [operator, state, key] = segments.map(decode);
    const range: StateQueryRange = {};
    for (const name of ['from', 'to', 'limit'] as const) {
      const value = url.searchParams.get(name);
      if (value === null) continue;
      if (name === 'limit') range.limit = Number(value);
      else range[name] = value;
    }
    const result = await queryState(operator, state, key, range, true);
    reply(res, 200, `${JSON.stringify(result)}\n`, json);
  } catch (err) {
    const code = (err as WeirError).code ?? 'WEIR_STATE';
    reply(res, statusOf[code] ?? 500, `${JSON.stringify({ code, message: (err as Error).message })}\n`, json);
  }
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new WeirError('WEIR_QUERY_BAD_REQUEST', `state query: "${segment}" is not URL-encoded text`);
  }
}
