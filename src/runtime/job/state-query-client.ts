/**
 * Queryable state, the main thread's half (job.queryState and GET /state/…): it checks the
 * operator against the plan, finds the key's type and the state's kind by asking the workers
 * (cached once known), routes the key to the worker that owns its key group, and shapes the
 * answer: a map as entries in key order (a range of them on request), a window operator's
 * 'windows' as the key's windows. See state-queries.ts for the worker's half and what an answer
 * sees.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { fromPlainError, WeirError } from '../../errors.ts';
import { limits } from '../../limits.ts';
import type { StateKind } from '../../state/keyed-state.ts';
import { storedKey, type StoredKey } from '../../state/store.ts';
import { keyGroupOf, workerOfKeyGroup, type KeyGroupAssigner } from '../keys.ts';
import type { JobState } from '../metrics.ts';
import { operatorUid, type Plan } from '../plan.ts';
import { kStateQueriesPosted, type SharedViews } from '../protocol.ts';
import type { StateQueryReply, StateQueryRequest } from '../worker/state-queries.ts';

/** A range of a map state's entries (by map key: from inclusive, to exclusive) or of a key's windows (those overlapping [from, to)). */
export interface StateQueryRange {
  from?: unknown;
  to?: unknown;
  /** At most this many entries or windows (default and cap: limits.stateQueryEntriesMax). */
  limit?: number;
}

export interface StateQueryResult {
  /** The operator's uid (its name unless the job set a uid). */
  operator: string;
  state: string;
  /** The key as queried (an HTTP key in the type of the state's keys). */
  key: unknown;
  /** The worker that owns the key and answered. */
  worker: number;
  /** The state's kind; 'windows' for a window operator's windows. */
  kind: StateKind | 'windows';
  /** False when the key has no value in this state (value is then undefined, null in JSON). */
  found: boolean;
  /**
   * value, list, reducing and aggregating state: the stored value (an aggregating state's
   * accumulator); map state: its entries in key order, [{ key, value }], within the range;
   * windows: [{ start, end, count, contents }] in start order, within the range.
   */
  value: unknown;
}

interface StateDescription {
  kind: StateKind;
  ttlMs?: number;
  keyType: 'string' | 'number' | undefined;
}

export class StateQueries {
  private ports: MessagePort[] = [];
  private views: SharedViews | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(reply: StateQueryReply): void; reject(err: unknown): void; timer: NodeJS.Timeout }>();
  private readonly described = new Map<string, StateDescription>();

  constructor(
    private readonly plan: Plan,
    private readonly options: { keyGroups: number; keyGroupAssigner: KeyGroupAssigner | undefined },
    private readonly jobState: () => JobState,
  ) {}

  /** A new attempt: fresh ports (the workers' ends go into their tasks); queries waiting on the old ones fail. */
  openAttempt(): MessagePort[] {
    this.closeAttempt('the job restarted');
    const channels = this.plan.graph.nodes.some((n) => n.kind === 'process') ? Array.from({ length: this.plan.parallelism }, () => new MessageChannel()) : [];
    this.ports = channels.map((c) => c.port1);
    for (const port of this.ports) {
      port.on('message', (reply: StateQueryReply) => this.settle(reply));
      port.unref();
    }
    return channels.map((c) => c.port2);
  }

  /** The attempt's shared memory, to ring the owning worker's doorbell with each query. */
  attachViews(views: SharedViews): void {
    this.views = views;
  }

  /** The job is over or restarting: what waits fails with WEIR_QUERY_UNAVAILABLE. */
  closeAttempt(why: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new WeirError('WEIR_QUERY_UNAVAILABLE', `state query: ${why} before the worker answered`));
      this.pending.delete(id);
    }
    for (const port of this.ports) port.close();
    this.ports = [];
  }

  /**
   * Queries `state` of keyed operator `operator` (uid or name) for `key`. `keyText`: the key
   * came as text (HTTP) and takes the type of the state's keys.
   */
  async query(operator: string, state: string, key: unknown, range: StateQueryRange = {}, keyText = false): Promise<StateQueryResult> {
    const node = this.plan.graph.nodes.find((n) => operatorUid(n) === operator) ?? this.plan.graph.nodes.find((n) => n.name === operator);
    const keyedOperators = this.plan.graph.nodes.filter((n) => n.kind === 'process').map((n) => `"${operatorUid(n)}"`);
    if (!node) throw new WeirError('WEIR_QUERY_NOT_FOUND', `state query: the job has no operator "${operator}" (operators with keyed state: ${keyedOperators.join(', ') || 'none'})`);
    if (node.kind !== 'process') throw new WeirError('WEIR_QUERY_NOT_FOUND', `state query: operator "${operator}" (${node.kind}) has no keyed state (operators with keyed state: ${keyedOperators.join(', ') || 'none'})`, { operator: node.name });
    const uid = operatorUid(node);
    const checkRunning = () => {
      const jobState = this.jobState();
      if (jobState !== 'running' && jobState !== 'stopping') throw new WeirError('WEIR_QUERY_UNAVAILABLE', `state query: the job is ${jobState}; state is queryable while it runs`, { operator: node.name });
    };
    checkRunning();
    const description = await this.describe(uid, node.name, state);
    const typedKey = keyText ? keyFromText(String(key), description.keyType, node.name, state) : key;
    const stored = storedKey(typedKey);
    if (description.keyType !== undefined && typeof stored !== description.keyType) {
      throw new WeirError('WEIR_QUERY_BAD_REQUEST', `state query: key ${JSON.stringify(typedKey)} is a ${typeof stored}, but the keys of operator "${node.name}" state "${state}" are ${description.keyType}s`, { operator: node.name });
    }
    const keyGroup = keyGroupOf(typedKey, this.options.keyGroups, this.options.keyGroupAssigner);
    const worker = workerOfKeyGroup(keyGroup, this.options.keyGroups, this.plan.parallelism);
    const known = { kind: description.kind, ...(description.ttlMs === undefined ? {} : { ttlMs: description.ttlMs }) };
    const reply = await this.ask(worker, { id: 0, type: 'get', operatorUid: uid, state, key: stored, keyGroup, known });
    if (!('value' in reply)) throw new WeirError('WEIR_QUERY_UNAVAILABLE', 'state query: unexpected reply');
    const kind = reply.kind ?? description.kind;
    const result: StateQueryResult = { operator: uid, state, key: typedKey, worker, kind, found: reply.value !== undefined, value: reply.value };
    if (kind === 'map' && Array.isArray(reply.value)) return { ...result, value: mapEntries(reply.value as Array<[unknown, unknown]>, range, keyText, node.name, state) };
    if (kind === 'value' && isWindowSlots(reply.value)) return { ...result, kind: 'windows', value: windowsIn(reply.value, range, keyText, node.name, state) };
    if (keyText && (range.from !== undefined || range.to !== undefined)) throw new WeirError('WEIR_QUERY_BAD_REQUEST', `state query: from/to apply to map state and windows; operator "${node.name}" state "${state}" is ${kind} state`, { operator: node.name });
    return result;
  }

  /** The state's kind and the type of its keys, from the workers (any that has used it); cached once both are known. */
  private async describe(uid: string, operatorName: string, state: string): Promise<StateDescription> {
    const cacheKey = `${uid}/${state}`;
    const cached = this.described.get(cacheKey);
    if (cached) return cached;
    const replies = await Promise.all(this.ports.map((_, worker) => this.ask(worker, { id: 0, type: 'describe', operatorUid: uid, state })));
    let declared: { kind: StateKind; ttlMs?: number } | undefined;
    let keyType: StateDescription['keyType'];
    const known = new Set<string>();
    for (const reply of replies) {
      if (!('declared' in reply)) continue;
      declared ??= reply.declared;
      keyType ??= reply.sampleKeyType;
      for (const name of reply.declaredStates) known.add(name);
    }
    if (declared === undefined) {
      // Restored state that no worker of this attempt has used yet: its kind is not known until one does.
      if (keyType !== undefined) {
        throw new WeirError('WEIR_QUERY_UNAVAILABLE', `state query: operator "${operatorName}" state "${state}" was restored, and no worker has used it since: ask again once the operator has processed a record`, { operator: operatorName, retriable: true });
      }
      const states = [...known].map((n) => `"${n}"`).join(', ');
      throw new WeirError('WEIR_QUERY_NOT_FOUND', `state query: operator "${operatorName}" has no state "${state}" (its states: ${states || 'none yet'}; a state is known once the operator has used it)`, { operator: operatorName });
    }
    const description: StateDescription = { ...declared, keyType };
    if (keyType !== undefined) this.described.set(cacheKey, description);
    return description;
  }

  private ask(worker: number, request: StateQueryRequest): Promise<StateQueryReply> {
    const port = this.ports[worker];
    if (!port || !this.views) return Promise.reject(new WeirError('WEIR_QUERY_UNAVAILABLE', 'state query: the job is not running'));
    const id = this.nextId++;
    return new Promise<StateQueryReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new WeirError('WEIR_QUERY_UNAVAILABLE', `state query: worker ${worker} did not answer within ${limits.stateQueryTimeoutMs} ms`, { worker }));
      }, limits.stateQueryTimeoutMs);
      timer.unref();
      this.pending.set(id, { resolve, reject, timer });
      port.postMessage({ ...request, id });
      Atomics.add(this.views!.control, kStateQueriesPosted, 1);
      // A parked worker wakes (its wake condition looks at the port); a busy one answers after its current round.
      this.views!.doorbells.ring(worker);
    }).then((reply) => {
      if (!reply.ok) throw fromPlainError(reply.error);
      return reply;
    });
  }

  private settle(reply: StateQueryReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    clearTimeout(p.timer);
    p.resolve(reply);
  }
}

/** An HTTP key in the type of the state's keys (text when no worker holds a key yet: nothing can match anyway). */
function keyFromText(text: string, keyType: StateDescription['keyType'], operator: string, state: string): StoredKey {
  if (keyType !== 'number') return text;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new WeirError('WEIR_QUERY_BAD_REQUEST', `state query: key "${text}" is not a number, but the keys of operator "${operator}" state "${state}" are numbers`, { operator });
  return n;
}

/** A bound given as text (HTTP) takes the type of the values it is compared with. */
function bound(value: unknown, like: 'number' | 'string', fromText: boolean, what: string, operator: string): unknown {
  if (value === undefined || !fromText || like === 'string') return value;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new WeirError('WEIR_QUERY_BAD_REQUEST', `state query: ${what} "${String(value)}" is not a number, as the values it bounds are`, { operator });
  return n;
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = storedKey(a);
  const y = storedKey(b);
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  return String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0;
}

function limitOf(range: StateQueryRange, operator: string): number {
  if (range.limit === undefined) return limits.stateQueryEntriesMax;
  const limit = Number(range.limit);
  if (!Number.isInteger(limit) || limit < 0) throw new WeirError('WEIR_QUERY_BAD_REQUEST', `state query: limit must be an integer ≥ 0, not ${JSON.stringify(range.limit)}`, { operator });
  return Math.min(limit, limits.stateQueryEntriesMax);
}

function mapEntries(pairs: Array<[unknown, unknown]>, range: StateQueryRange, fromText: boolean, operator: string, state: string): Array<{ key: unknown; value: unknown }> {
  const like = pairs.length > 0 && typeof pairs[0][0] === 'number' ? 'number' : 'string';
  const from = bound(range.from, like, fromText, `from of state "${state}"`, operator);
  const to = bound(range.to, like, fromText, `to of state "${state}"`, operator);
  const sorted = pairs.slice().sort((a, b) => compare(a[0], b[0]));
  return sorted
    .filter(([k]) => (from === undefined || compare(k, from) >= 0) && (to === undefined || compare(k, to) < 0))
    .slice(0, limitOf(range, operator))
    .map(([key, value]) => ({ key, value }));
}

interface WindowSlotView {
  start: number;
  end: number;
  count: number;
  contents?: unknown;
}

/** A window operator's 'windows' value (time/window-operator.ts WindowSlot[]). */
function isWindowSlots(value: unknown): value is WindowSlotView[] {
  return Array.isArray(value) && value.length > 0 && value.every((s) => s !== null && typeof s === 'object' && typeof s.start === 'number' && typeof s.end === 'number' && typeof s.count === 'number');
}

function windowsIn(slots: WindowSlotView[], range: StateQueryRange, fromText: boolean, operator: string, state: string): WindowSlotView[] {
  const from = bound(range.from, 'number', fromText, `from of state "${state}"`, operator) as number | undefined;
  const to = bound(range.to, 'number', fromText, `to of state "${state}"`, operator) as number | undefined;
  return slots
    .filter((w) => (from === undefined || w.end > from) && (to === undefined || w.start < to))
    .sort((a, b) => a.start - b.start || a.end - b.end)
    .slice(0, limitOf(range, operator))
    .map(({ start, end, count, contents }) => ({ start, end, count, contents }));
}
