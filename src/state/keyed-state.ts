/**
 * Flink's keyed state primitives over a StateStore, scoped to the current key (and namespace).
 *
 * One stored value per (state, key, namespace):
 *   value        the value
 *   list         an array of the elements
 *   map          a MapStateValue (map-state.ts), encoded as an array of [mapKey, mapValue] pairs
 *                (plain arrays survive msgpack whatever the map keys are); map keys are compared
 *                by storedKey(), so object keys match by their JSON form, as record keys do
 *   reducing     the reduced value
 *   aggregating  the accumulator
 * A state with a TTL stores [value, lastAccessMs] instead; the TTL covers the key's whole
 * value (a list's or map's last write refreshes all its elements).
 *
 * Changed in place and put back: list.add and map.put change the stored value and put it again
 * before they return, as a user's reduce/aggregate function may change its accumulator and return
 * it (as Flink allows). Nothing else holds a stored value between two calls: the store keeps it
 * (the heap backend and the LMDB write-back cache keep the very object) and encodes it when it
 * writes it back or snapshots, at one moment. Copying the array on each add instead made a list or
 * map of n elements cost O(n²) to build. They check only what they add (the rest was checked when
 * it was stored). Values returned by value()/get() of value, reducing and aggregating state are
 * the stored objects themselves: read them, don't change them (list and map getters return
 * copies).
 */
import type {
  AggregateFunction,
  AggregatingState,
  KeyedStateAccess,
  ListState,
  MapState,
  ReducingState,
  StateOptions,
  StateTtl,
  ValueState,
} from '../functions/contracts.ts';
import { WeirError } from '../errors.ts';
import { expectFolded } from '../functions/sync.ts';
import { describeKey, stateLabel, unstorableReason } from './storable.ts';
import { mapStatePairs, StoredMap } from './map-state.ts';
import { storedKey, type StateStore, type StoredKey } from './store.ts';

export type StateKind = 'value' | 'list' | 'map' | 'reducing' | 'aggregating';

/**
 * Value state's updates for weir's own operators, which know which parts of a value they change
 * (the window operator: a record appended to a window's list). They check those parts, before
 * they change anything, and store the value without walking it all again: a walk of every element
 * per record made a window of n records cost n². A handle of another kind lacks them: update.
 */
export const checkedUpdates = Symbol('weir.checkedUpdates');

export interface CheckedUpdates<S> {
  [checkedUpdates]: {
    /** Throws what an update would throw for `part`, at `path` in the value. */
    check(part: unknown, path: string): void;
    /** Stores `value` without walking it: its parts were checked, or are the operator's own. */
    update(value: S): void;
  };
}

/** What CheckedUpdates offers for a value of type S. */
export type CheckedUpdater<S> = CheckedUpdates<S>[typeof checkedUpdates];

/** A value state handle's checked updates; undefined for a handle without them. */
export function checkedUpdatesOf<S>(state: ValueState<S>): CheckedUpdater<S> | undefined {
  return (state as ValueState<S> & Partial<CheckedUpdates<S>>)[checkedUpdates];
}

/** A TTL state's stored form. */
type TtlRecord = [value: unknown, lastAccessMs: number];

interface Declared {
  kind: StateKind;
  handle: unknown;
  cell: StateCell;
}

/** Where the next read or write goes: set by the operator before each record or timer. */
interface Scope {
  key: unknown;
  storedKey: StoredKey;
  keyGroup: number;
  namespace: string;
}

/** Resume point of the background TTL cleanup. */
interface CleanupCursor {
  stateIndex: number;
  after?: { keyGroup: number; key: StoredKey; namespace: string };
}

export class KeyedState implements KeyedStateAccess {
  private readonly scope: Scope = { key: undefined, storedKey: '', keyGroup: 0, namespace: '' };
  private readonly declared = new Map<string, Declared>();
  private readonly ttlCells: StateCell[] = [];
  private cleanupCursor: CleanupCursor = { stateIndex: 0 };

  constructor(
    private readonly store: StateStore,
    private readonly operatorUid: string,
    private readonly operatorName: string,
    private readonly clock: () => number,
  ) {}

  setCurrentKey(key: unknown, keyGroup: number): void {
    this.scope.key = key;
    this.scope.storedKey = storedKey(key);
    this.scope.keyGroup = keyGroup;
  }

  /**
   * Runs `fn` with `key` current and the plain namespace, then restores the key and namespace
   * that were current (held state is written this way at a flush, between or amid records).
   */
  withKey(key: unknown, keyGroup: number, fn: () => void): void {
    const { key: key0, storedKey: storedKey0, keyGroup: keyGroup0, namespace: namespace0 } = this.scope;
    this.setCurrentKey(key, keyGroup);
    this.scope.namespace = '';
    try {
      fn();
    } finally {
      this.scope.key = key0;
      this.scope.storedKey = storedKey0;
      this.scope.keyGroup = keyGroup0;
      this.scope.namespace = namespace0;
    }
  }

  /**
   * Throws what a write of `value` to state `name` of the current key would throw for an
   * unstorable value (the same rules as every backend's put); `path`: where `value` sits in the
   * stored value (an element of a list).
   */
  checkStorable(name: string, value: unknown, path = ''): void {
    const reason = value === undefined && path === '' ? 'undefined cannot be stored (delete the entry instead)' : unstorableReason(value, path);
    if (reason !== undefined) throw this.stateError(name, 'write failed', new Error(`${stateLabel(`${this.operatorUid}/${name}`)} key ${describeKey(this.scope.key)}: ${reason}`));
  }

  /** checkStorable for a map's pair: its path (its position) is worked out only for a pair that cannot be stored. */
  private checkPair(name: string, pair: [unknown, unknown], pathOf: () => string): void {
    if (unstorableReason(pair) !== undefined) this.checkStorable(name, pair, pathOf());
  }

  /** The store's state ids of every state declared so far (`${operatorUid}/${name}`). */
  declaredStateIds(): string[] {
    return [...this.declared.keys()].map((name) => `${this.operatorUid}/${name}`);
  }

  /** The names and kinds of the states declared so far (a state is declared when the function first asks for it). */
  declaredStates(): Array<{ name: string; kind: StateKind; ttlMs?: number }> {
    return [...this.declared].map(([name, d]) => ({ name, kind: d.kind, ...(d.cell.ttl ? { ttlMs: d.cell.ttl.ttlMs } : {}) }));
  }

  /**
   * A state query (runtime/worker/state-queries.ts): state `name`'s value for a key, as stored, without
   * touching the current key, refreshing a TTL or deleting an expired value (a query changes
   * nothing). Undefined when the key has none. A map's value is its pairs. A state the function
   * has not asked for on this worker yet (a restarted attempt before its first record) is read as
   * `known` describes it (what another worker or an earlier attempt declared); 'undeclared'
   * without that.
   */
  peek(name: string, keyGroup: number, key: StoredKey, known?: { kind: StateKind; ttlMs?: number }): { kind: StateKind; value: unknown } | 'undeclared' {
    const declared = this.declared.get(name);
    if (!declared && !known) return 'undeclared';
    const kind = declared?.kind ?? known!.kind;
    const ttlMs = declared ? declared.cell.ttl?.ttlMs : known!.ttlMs;
    let stored: unknown;
    try {
      stored = this.store.get(`${this.operatorUid}/${name}`, keyGroup, key, '');
    } catch (cause) {
      throw this.stateError(name, 'query failed', cause);
    }
    if (stored !== undefined && ttlMs !== undefined) stored = !isTtlRecord(stored) || this.clock() - stored[1] >= ttlMs ? undefined : stored[0];
    return { kind, value: kind === 'map' ? mapStatePairs(stored) : stored };
  }

  /** The stored form of some key of state `name` on this worker (any one), or undefined when it holds none: tells a query the keys' type. */
  sampleKey(name: string): StoredKey | undefined {
    for (const entry of this.store.entries(`${this.operatorUid}/${name}`)) return entry.key;
    return undefined;
  }

  /** For internal users (windows): '' is plain keyed state. */
  setNamespace(namespace: string): void {
    this.scope.namespace = namespace;
  }

  valueState<S>(name: string, options?: StateOptions): ValueState<S> {
    return this.declare(name, 'value', options, (cell) => {
      const handle: ValueState<S> & CheckedUpdates<S> = {
        value: () => cell.read() as S | undefined,
        update: (value: S) => (value === undefined ? cell.clear() : cell.write(value)),
        clear: () => cell.clear(),
        [checkedUpdates]: {
          check: (part, path) => this.checkStorable(name, part, path),
          update: (value: S) => cell.write(value, true),
        },
      };
      return handle;
    });
  }

  listState<S>(name: string, options?: StateOptions): ListState<S> {
    return this.declare(name, 'list', options, (cell) => {
      const current = () => cell.read() as S[] | undefined;
      const handle: ListState<S> = {
        get: () => (current() ?? []).slice(),
        // Appended in place and put back (see the file comment): a copy per add made a list of n cost O(n²).
        add: (value: S) => {
          const list = current() ?? [];
          this.checkStorable(name, value, `[${list.length}]`);
          list.push(value);
          cell.write(list, true);
        },
        addAll: (values: S[]) => {
          if (values.length === 0) return;
          const list = current() ?? [];
          for (let i = 0; i < values.length; i++) this.checkStorable(name, values[i], `[${list.length + i}]`);
          for (let i = 0; i < values.length; i++) list.push(values[i]);
          cell.write(list, true);
        },
        update: (values: S[]) => (values.length > 0 ? cell.write(values.slice()) : cell.clear()),
        clear: () => cell.clear(),
      };
      return handle;
    });
  }

  mapState<MK, MV>(name: string, options?: StateOptions): MapState<MK, MV> {
    return this.declare(name, 'map', options, (cell) => new StoredMap<MK, MV>(cell, (pair, pathOf) => this.checkPair(name, pair, pathOf)));
  }

  reducingState<S>(name: string, reduce: (a: S, b: S) => S, options?: StateOptions): ReducingState<S> {
    return this.declare(name, 'reducing', options, (cell) => {
      const handle: ReducingState<S> = {
        get: () => cell.read() as S | undefined,
        add: (value: S) => {
          const current = cell.read() as S | undefined;
          cell.write(current === undefined ? value : expectFolded(reduce(current, value), 'reducing state\'s reduce function'));
        },
        clear: () => cell.clear(),
      };
      return handle;
    });
  }

  aggregatingState<IN, ACC, OUT>(name: string, aggregate: AggregateFunction<IN, ACC, OUT>, options?: StateOptions): AggregatingState<IN, OUT> {
    return this.declare(name, 'aggregating', options, (cell) => {
      const handle: AggregatingState<IN, OUT> = {
        get: () => {
          const accumulator = cell.read() as ACC | undefined;
          return accumulator === undefined ? undefined : aggregate.getResult(accumulator);
        },
        add: (value: IN) => {
          const accumulator = (cell.read() as ACC | undefined) ?? expectFolded(aggregate.createAccumulator(), 'createAccumulator function');
          cell.write(expectFolded(aggregate.add(value, accumulator), 'aggregate add function'));
        },
        clear: () => cell.clear(),
      };
      return handle;
    });
  }

  /**
   * Background TTL cleanup: looks at up to `maxEntries` entries of this operator's TTL states,
   * starting where the previous call stopped (wrapping around after the last state), and deletes
   * the expired ones, so state of keys that never come back does not stay forever. Returns how
   * many entries it removed.
   */
  cleanupExpired(maxEntries: number): number {
    const cells = this.ttlCells;
    if (cells.length === 0 || maxEntries <= 0) return 0;
    const nowMs = this.clock();
    let examined = 0;
    let removed = 0;
    // At most one full round per call: every state once, plus the start of the first again.
    for (let scans = 0; scans <= cells.length && examined < maxEntries; scans++) {
      const cursor = this.cleanupCursor;
      const cell = cells[cursor.stateIndex % cells.length];
      let reachedEnd = true;
      try {
        for (const entry of this.store.entries(cell.stateId, cursor.after)) {
          examined++;
          cursor.after = { keyGroup: entry.keyGroup, key: entry.key, namespace: entry.namespace };
          if (cell.isExpired(entry.value, nowMs)) {
            this.store.delete(cell.stateId, entry.keyGroup, entry.key, entry.namespace);
            removed++;
          }
          if (examined >= maxEntries) {
            reachedEnd = false;
            break;
          }
        }
      } catch (cause) {
        throw this.stateError(cell.name, `TTL cleanup failed`, cause);
      }
      if (reachedEnd) this.cleanupCursor = { stateIndex: (cursor.stateIndex + 1) % cells.length };
    }
    return removed;
  }

  /** Wraps a store failure: names the operator, the state and the current key; keeps the cause. */
  stateError(stateName: string, what: string, cause: unknown): WeirError {
    const message = cause instanceof Error ? cause.message : String(cause);
    return new WeirError(
      'WEIR_STATE',
      `operator "${this.operatorName}" state "${stateName}" key ${describeKey(this.scope.key)}: ${what}: ${message}`,
      { operator: this.operatorName, cause },
    );
  }

  private declare<H>(name: string, kind: StateKind, options: StateOptions | undefined, build: (cell: StateCell) => H): H {
    const ttl = options?.ttl;
    const existing = this.declared.get(name);
    if (existing) {
      if (existing.kind !== kind) {
        throw new WeirError(
          'WEIR_STATE',
          `operator "${this.operatorName}" declares state "${name}" as ${kind} state, but it is already ${existing.kind} state (key ${describeKey(this.scope.key)})`,
          { operator: this.operatorName },
        );
      }
      if (!sameTtl(existing.cell.ttl, ttl)) {
        throw new WeirError('WEIR_STATE', `operator "${this.operatorName}" declares state "${name}" again with a different TTL`, { operator: this.operatorName });
      }
      return existing.handle as H;
    }
    if (ttl && !(ttl.ttlMs > 0 && Number.isFinite(ttl.ttlMs))) {
      throw new WeirError('WEIR_CONFIG', `operator "${this.operatorName}" state "${name}": ttl.ttlMs must be a positive number of ms, got ${ttl.ttlMs}`, {
        operator: this.operatorName,
      });
    }
    const cell = new StateCell(this, this.store, this.scope, name, `${this.operatorUid}/${name}`, this.clock, ttl);
    const handle = build(cell);
    this.declared.set(name, { kind, handle, cell });
    if (ttl) this.ttlCells.push(cell);
    return handle;
  }
}

function sameTtl(a: StateTtl | undefined, b: StateTtl | undefined): boolean {
  if (!a || !b) return a === b;
  return a.ttlMs === b.ttlMs && (a.updateOn ?? 'create-and-write') === (b.updateOn ?? 'create-and-write');
}

/**
 * One declared state's stored value for the current key: the only place that talks to the store,
 * and where TTL is applied. An expired value is never returned: reading it deletes it.
 */
class StateCell {
  readonly refreshOnRead: boolean;

  constructor(
    private readonly owner: KeyedState,
    private readonly store: StateStore,
    private readonly scope: Scope,
    readonly name: string,
    readonly stateId: string,
    private readonly clock: () => number,
    readonly ttl: StateTtl | undefined,
  ) {
    this.refreshOnRead = ttl?.updateOn === 'read-and-write';
  }

  read(): unknown {
    const { keyGroup, storedKey: key, namespace } = this.scope;
    let stored: unknown;
    try {
      stored = this.store.get(this.stateId, keyGroup, key, namespace);
    } catch (cause) {
      throw this.owner.stateError(this.name, 'read failed', cause);
    }
    if (stored === undefined || !this.ttl) return stored;
    if (!isTtlRecord(stored)) throw this.owner.stateError(this.name, 'read failed', new Error('the stored value has no TTL timestamp (was the state stored without a TTL?)'));
    const nowMs = this.clock();
    if (nowMs - stored[1] >= this.ttl.ttlMs) {
      this.clear();
      return undefined;
    }
    if (this.refreshOnRead && stored[1] !== nowMs) this.put([stored[0], nowMs] satisfies TtlRecord, true);
    return stored[0];
  }

  /** `checked`: every part of `value` has been checked already (see StateStore.put). */
  write(value: unknown, checked = false): void {
    this.put(this.ttl ? ([value, this.clock()] satisfies TtlRecord) : value, checked);
  }

  clear(): void {
    const { keyGroup, storedKey: key, namespace } = this.scope;
    try {
      this.store.delete(this.stateId, keyGroup, key, namespace);
    } catch (cause) {
      throw this.owner.stateError(this.name, 'delete failed', cause);
    }
  }

  isExpired(stored: unknown, nowMs: number): boolean {
    return this.ttl !== undefined && isTtlRecord(stored) && nowMs - stored[1] >= this.ttl.ttlMs;
  }

  private put(stored: unknown, checked = false): void {
    const { keyGroup, storedKey: key, namespace } = this.scope;
    try {
      this.store.put(this.stateId, keyGroup, key, namespace, stored, checked);
    } catch (cause) {
      throw this.owner.stateError(this.name, 'write failed', cause);
    }
  }
}

function isTtlRecord(stored: unknown): stored is TtlRecord {
  return Array.isArray(stored) && stored.length === 2 && typeof stored[1] === 'number';
}
