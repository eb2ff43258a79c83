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
 */
export const heldStateHost = Symbol('weir.heldStateHost');

export interface HeldStateHost {
  /** Registers `write`: it puts every held change into keyed state (through withKey). */
  onWrite(write: () => void): void;
  /** The key group of the current key (to come back to it in withKey). */
  currentKeyGroup(): number;
  /** Throws the error a write of `value` to state `name` of the current key would (unstorable values), so it names the record that brought it. */
  checkStorable(name: string, value: unknown): void;
  /** Runs `fn` with `key` (of `keyGroup`) current for state access, plain namespace; the current key and namespace come back after. */
  withKey(key: unknown, keyGroup: number, fn: () => void): void;
}

/** The host on a keyed context, when the context has one (the keyed operator's does). */
export function heldStateHostOf(ctx: object): HeldStateHost | undefined {
  return (ctx as { [heldStateHost]?: HeldStateHost })[heldStateHost];
}
