/**
 * The CEP operator's keys, held in memory between the store's flushes (state/held-state.ts).
 *
 * Every record changes its key's buffer twice (in when it arrives, out when the watermark passes
 * it), and often its runs: through keyed state that was a store read, a copied array and a
 * storability walk of the whole value per change — most of the operator's cost. Here a key's
 * buffer, runs and events are plain objects changed in place, and they are put into the same
 * three keyed states ('cep-buffer', 'cep-runs', 'cep-events', layout in docs/cep.md) when the
 * store is flushed: epoch end, checkpoint barrier, close, a state query, or when more than
 * limits.cepHeldKeysMax keys are held. Snapshots therefore hold exactly what they held before,
 * and checkpoints taken by earlier versions restore as they are. A key is read from keyed state
 * the first time it is met (after a start, a restore or a let-go).
 *
 * The keys with buffered records are queued by when they are due (cep-due-keys.ts). A key let go
 * stays queued as it was: when it comes due its records are read back from keyed state. At the
 * start — a restore — the queue is rebuilt from 'cep-buffer': every key stored there is queued at
 * its earliest buffered timestamp, the key given by the key selector on its first record.
 */
import { internalError } from '../errors.ts';
import type { KeyedContext, MapState, ValueState } from '../functions/contracts.ts';
import { limits } from '../limits.ts';
import type { HeldStateHost } from '../state/held-state.ts';
import { storedKey, type StoredKey } from '../state/store.ts';
import { DueKeys, type DueKey } from './cep-due-keys.ts';
import { decodeKeyState, encodeKeyState, type NfaKeyState, type StoredEvent } from './nfa.ts';

export const bufferState = 'cep-buffer';
export const runsState = 'cep-runs';
export const eventsState = 'cep-events';

/**
 * A buffered record: [timestampMs, record], or [timestampMs, record, 0] when it starts no match
 * (it need not be fed at its time to a key with nothing open; cep-operator.ts, dueMsOf).
 */
export type Buffered<T> = [number, T] | [number, T, 0];

export interface HeldKey<T> extends DueKey {
  /** It is the key's object in HeldKeys (false once let go: the key is read again when met). */
  kept: boolean;
  /** Records waiting for the watermark, [timestampMs, record], in arrival order. Never an array the store holds: changed in place. */
  buffer: Buffered<T>[];
  /** The runs and held matches; undefined: nothing open (only the start run). */
  runs: NfaKeyState | undefined;
  /** The events runs refer to, by id (the tuples are never changed, so the store may share them). */
  readonly events: Map<number, StoredEvent<T>>;
  /** Changed since it was last put into keyed state. */
  dirty: boolean;
  /** Keyed state may hold something of the key: when it empties, its entries must be deleted. */
  inStore: boolean;
  /** Keyed state holds events of the key (most keys have none: nothing to delete at a flush). */
  eventsInStore: boolean;
}

interface States<T> {
  buffer: ValueState<Buffered<T>[]>;
  runs: ValueState<number[]>;
  events: MapState<number, StoredEvent<T>>;
}

export class HeldKeys<T> {
  private readonly byKey = new Map<StoredKey, HeldKey<T>>();
  private readonly changed: HeldKey<T>[] = [];
  private readonly states: States<T>;
  /** The keys with buffered records, by when they are due. */
  readonly due = new DueKeys();

  constructor(
    private readonly host: HeldStateHost,
    ctx: KeyedContext<unknown, unknown>,
  ) {
    this.states = {
      buffer: ctx.valueState<Buffered<T>[]>(bufferState),
      runs: ctx.valueState<number[]>(runsState),
      events: ctx.mapState<number, StoredEvent<T>>(eventsState),
    };
    host.onWrite(() => this.writeChanged(false));
    this.queueStoredKeys();
  }

  /** The key's object when `k` is it (not let go, not a key queued at a restore). */
  heldNow(k: DueKey): HeldKey<T> | undefined {
    return (k as Partial<HeldKey<T>>).kept === true ? (k as HeldKey<T>) : undefined;
  }

  /**
   * Queues every key keyed state holds buffered records of (a restore), at its earliest one. The
   * key is not stored with them, only its stored form: the key selector gives it back from a
   * record, and must give the same stored key and key group (it is deterministic).
   */
  private queueStoredKeys(): void {
    for (const entry of this.host.entries(bufferState)) {
      const buffered = entry.value as Buffered<T>[];
      if (!Array.isArray(buffered) || buffered.length === 0) throw internalError(`CEP: a stored ${bufferState} is a non-empty array`);
      const { key, keyGroup } = this.host.keyOf(buffered[0][1]);
      if (storedKey(key) !== entry.key || keyGroup !== entry.keyGroup) throw internalError(`CEP: the key selector gives a buffered record its stored key back`);
      this.due.schedule({ key, keyGroup, storedKey: entry.key, dueMs: Number.POSITIVE_INFINITY, dueIndex: -1 }, earliest(buffered));
    }
  }

  /** The current key's held state, read from keyed state when it is not held yet. */
  of(key: unknown): HeldKey<T> {
    const id = storedKey(key);
    let held = this.byKey.get(id);
    if (held === undefined) {
      if (this.byKey.size >= limits.cepHeldKeysMax) this.writeChanged(true);
      held = this.load(key, id, this.host.currentKeyGroup());
      this.byKey.set(id, held);
    }
    return held;
  }

  changedNow(held: HeldKey<T>): void {
    if (held.dirty) return;
    held.dirty = true;
    this.changed.push(held);
  }

  /** Checked when a record comes in (the store would check it only at the flush, far from the record). */
  checkRecord(record: T): void {
    this.host.checkStorable(bufferState, record);
  }

  /** Puts every changed key into keyed state; `letGo`: and forgets every key (they are read again when met). */
  private writeChanged(letGo: boolean): void {
    for (const held of this.changed) {
      this.host.withKey(held.key, held.keyGroup, () => this.write(held));
      held.dirty = false;
      // An empty key is not kept: nothing to hold, and most keys of a long job are idle.
      if (!letGo && !held.inStore) this.forget(held);
    }
    this.changed.length = 0;
    if (letGo) {
      for (const held of this.byKey.values()) held.kept = false;
      this.byKey.clear();
    }
  }

  private write(held: HeldKey<T>): void {
    const empty = held.buffer.length === 0 && held.runs === undefined;
    if (empty && !held.inStore) return;
    const { buffer, runs, events } = this.states;
    if (held.buffer.length > 0) buffer.update(held.buffer.slice());
    else buffer.clear();
    if (held.runs !== undefined) {
      held.runs.stored = [...held.events.keys()];
      runs.update(encodeKeyState(held.runs));
    } else runs.clear();
    if (held.eventsInStore) events.clear();
    if (held.events.size > 0) events.putAll(held.events.entries());
    held.eventsInStore = held.events.size > 0;
    held.inStore = !empty;
  }

  /** A timer found the key with nothing to do: when keyed state holds nothing of it either, it is not kept. */
  release(held: HeldKey<T>): void {
    if (!held.dirty && !held.inStore) this.forget(held);
  }

  private forget(held: HeldKey<T>): void {
    this.byKey.delete(held.storedKey);
    held.kept = false;
  }

  private load(key: unknown, id: StoredKey, keyGroup: number): HeldKey<T> {
    const { buffer, runs, events } = this.states;
    const waiting = buffer.value();
    const encoded = runs.value();
    const stored = new Map<number, StoredEvent<T>>(encoded === undefined ? [] : events.entries());
    return {
      key,
      storedKey: id,
      keyGroup,
      buffer: waiting === undefined ? [] : waiting.slice(),
      dueMs: Number.POSITIVE_INFINITY,
      dueIndex: -1,
      kept: true,
      runs: encoded === undefined ? undefined : decodeKeyState(encoded),
      events: stored,
      dirty: false,
      inStore: waiting !== undefined || encoded !== undefined,
      eventsInStore: stored.size > 0,
    };
  }
}

/** The earliest timestamp of the records (conservative: a key restored is fed each record at its time). */
function earliest<T>(buffered: Buffered<T>[]): number {
  let min = Number.POSITIVE_INFINITY;
  for (const b of buffered) if (b[0] < min) min = b[0];
  return min;
}
