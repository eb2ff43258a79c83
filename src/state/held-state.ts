/**
 * For keyed operators built into weir (CEP): state an operator keeps in memory, per key, between
 * the store's flushes and puts into its keyed states when the store is flushed — as timers do
 * (timers.ts). A key whose state changes with every record then costs the store one write per
 * flush instead of one (and a storability walk of the whole value) per record.
 *
 * The keyed operator hands its function a HeldStateHost on the context, under `heldStateHost`.
 * What the function writes in `write` is in the store before every flush (epoch end, checkpoint
 * barrier, close), before a scan of the operator's state and before a state query, so snapshots
 * and queries see it. The function reads a key from keyed state when it first meets it; nothing
 * else writes those states while it runs (a restore starts new workers, with new function
 * instances), so what it holds stays current.
 *
 * A function that keeps its own queue of keys due in event time (CEP: one per operator instead
 * of an event-time timer per key) is told of every watermark advance and has onTimer called for a
 * due key as a timer would (onWatermark, fireEventTime). Its queue is not state: it rebuilds it
 * from its keyed state when it is attached (entries, keyOf).
 */
import type { KeyedContext } from '../functions/contracts.ts';
import type { StoredKey } from './store.ts';

export const heldStateHost = Symbol('weir.heldStateHost');

/**
 * A function may have a method under this symbol: the keyed operator calls it with its context
 * once, when it is built — before any record, watermark or timer, and whatever the store holds
 * (a restore). What a function keeps in memory starts there; so does what it must find again
 * in the store (CEP: the keys with buffered records, cep-due-keys.ts).
 */
export const attachHeldState = Symbol('weir.attachHeldState');

/** A function with that method. */
export interface AttachesHeldState {
  [attachHeldState](ctx: KeyedContext<unknown, unknown>): void;
}

/** A stored entry of one of the operator's states, as HeldStateHost.entries gives it. */
export interface HeldStateEntry {
  readonly keyGroup: number;
  readonly key: StoredKey;
  readonly value: unknown;
}

export interface HeldStateHost {
  /** Registers `write`: it puts every held change into keyed state (through withKey). */
  onWrite(write: () => void): void;
  /** The key group of the current key (to come back to it in withKey). */
  currentKeyGroup(): number;
  /** Throws the error a write of `value` to state `name` of the current key would (unstorable values), so it names the record that brought it. */
  checkStorable(name: string, value: unknown): void;
  /** Runs `fn` with `key` (of `keyGroup`) current for state access, plain namespace; the current key and namespace come back after. */
  withKey(key: unknown, keyGroup: number, fn: () => void): void;
  /** Registers `advance`: called each time the watermark advances, before the event-time timers due at it fire. */
  onWatermark(advance: (watermarkMs: number) => void): void;
  /**
   * Calls the function's onTimer for `key` (of `keyGroup`) as an event-time timer at
   * `timestampMs` would — key current, the context's key and time set, an error handled as a
   * timer's — without a timer: for a function that keeps its own queue of due keys.
   */
  fireEventTime(key: unknown, keyGroup: number, timestampMs: number): void;
  /** Every stored entry of the operator's state `name`, all keys (plain namespace). */
  entries(name: string): Iterable<HeldStateEntry>;
  /** The key of a record, as the keyed stream's key selector gives it, and its key group. */
  keyOf(record: unknown): { key: unknown; keyGroup: number };
}

/** The host on a keyed context, when the context has one (the keyed operator's does). */
export function heldStateHostOf(ctx: object): HeldStateHost | undefined {
  return (ctx as { [heldStateHost]?: HeldStateHost })[heldStateHost];
}
