/**
 * Helpers shared by the state backends: what a stored value may be, how entries are ordered and
 * named in error messages. Both backends apply the same rules, so a job that runs on the heap
 * backend does not start failing when it moves to LMDB.
 */
import { WeirError } from '../errors.ts';
import type { StoredKey } from './store.ts';

/** msgpack (and our own recursion) gives up on deeper values; deeper usually means a cycle. */
const valueDepthMax = 512;
const int64Min = -(2n ** 63n);
const uint64Max = 2n ** 64n - 1n;

/**
 * Why `value` cannot be stored, or undefined when it can (`path`: where it sits in a larger
 * value). msgpack silently drops functions and throws late (at write-back) on symbols, cycles and
 * huge bigints; checking at put time names the update that caused it. Lossy-but-encodable values
 * (class instances, Sets) are let through.
 */
export function unstorableReason(value: unknown, path = ''): string | undefined {
  // Nearly every value is fine: check it without building the path of every element on the way,
  // and walk it again to name the culprit only when there is one.
  return isStorable(value, 0) ? undefined : reasonAt(value, path, 0);
}

/**
 * The same rules as reasonAt, as a yes/no. Called on every state put, over the whole value (a
 * window operator's slots, a CEP run's buffer), so plain arrays and objects — nearly everything
 * stored — are recognised first, before the checks for the rarer kinds of object.
 */
function isStorable(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'undefined':
      return true;
    case 'function':
    case 'symbol':
      return false;
    case 'bigint':
      return value >= int64Min && value <= uint64Max;
  }
  if (value === null) return true;
  if (depth >= valueDepthMax) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isStorable(value[i], depth + 1)) return false;
    return true;
  }
  if (Object.getPrototypeOf(value) === Object.prototype) return ownValuesStorable(value as Record<string, unknown>, depth);
  if (value instanceof Date) return true;
  if (ArrayBuffer.isView(value)) return value instanceof Uint8Array;
  if (value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) return false;
  if (value instanceof Map) {
    for (const [k, v] of value) if (!isStorable(k, depth + 1) || !isStorable(v, depth + 1)) return false;
    return true;
  }
  return ownValuesStorable(value as Record<string, unknown>, depth);
}

function ownValuesStorable(value: Record<string, unknown>, depth: number): boolean {
  for (const k in value) {
    if (!Object.prototype.hasOwnProperty.call(value, k)) continue;
    if (!isStorable(value[k], depth + 1)) return false;
  }
  return true;
}

function reasonAt(value: unknown, path: string, depth: number): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'undefined':
      return undefined;
    case 'function':
      return `a function${at(path)} cannot be stored`;
    case 'symbol':
      return `a symbol${at(path)} cannot be stored`;
    case 'bigint':
      return value < int64Min || value > uint64Max ? `the bigint${at(path)} does not fit in 64 bits` : undefined;
  }
  if (value === null || value instanceof Date) return undefined;
  // LMDB's msgpack keeps a Uint8Array's bytes; any other binary view (Float64Array, Int32Array,
  // DataView) or a bare ArrayBuffer came back as wrong bytes. Refused on both backends alike.
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) {
    if (value instanceof Uint8Array) return undefined;
    return `a ${value.constructor.name}${at(path)} cannot be stored: of binary values only a Uint8Array (or Buffer) keeps its bytes; store an array of numbers, or the bytes as a Uint8Array`;
  }
  if (depth >= valueDepthMax) return `the value${at(path)} is nested more than ${valueDepthMax} levels deep (circular?)`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const reason = reasonAt(value[i], `${path}[${i}]`, depth + 1);
      if (reason) return reason;
    }
    return undefined;
  }
  if (value instanceof Map) {
    for (const [k, v] of value) {
      const reason = reasonAt(k, `${path}<key>`, depth + 1) ?? reasonAt(v, `${path}.get(${describeKey(k)})`, depth + 1);
      if (reason) return reason;
    }
    return undefined;
  }
  for (const k in value as object) {
    if (!Object.prototype.hasOwnProperty.call(value, k)) continue;
    const reason = reasonAt((value as Record<string, unknown>)[k], `${path}.${k}`, depth + 1);
    if (reason) return reason;
  }
  return undefined;
}

const at = (path: string) => (path ? ` at ${path}` : '');

/** A key as it appears in messages: JSON, cut short. */
export function describeKey(key: unknown): string {
  let text: string;
  try {
    text = typeof key === 'bigint' ? `${key}n` : (JSON.stringify(key) ?? String(key));
  } catch {
    text = String(key);
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** Numbers before strings, each in natural order (as LMDB's ordered-binary keys). */
export function compareStoredKeys(a: StoredKey, b: StoredKey): number {
  if (typeof a === 'number') return typeof b === 'number' ? a - b : -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A unique string for (keyGroup, key, namespace): the key's length is written so no separator can be forged. */
export function entryId(keyGroup: number, key: StoredKey, namespace: string): string {
  return typeof key === 'number' ? `${keyGroup}:n${key}:${namespace}` : `${keyGroup}:s${key.length}:${key}${namespace}`;
}

/** How a state appears in messages: the operator's name when known, and the state id. */
export function stateLabel(state: string, operatorNameOf?: (state: string) => string): string {
  const operator = operatorNameOf?.(state);
  return operator ? `operator "${operator}" state "${state}"` : `state "${state}"`;
}

/** The checks every backend makes before it accepts a value. */
export function checkStorable(state: string, key: StoredKey, value: unknown, operatorNameOf?: (state: string) => string): void {
  if (value === undefined) {
    throw new WeirError('WEIR_STATE', `${stateLabel(state, operatorNameOf)} key ${describeKey(key)}: undefined cannot be stored (delete the entry instead)`, {
      operator: operatorNameOf?.(state),
    });
  }
  const reason = unstorableReason(value);
  if (reason) {
    throw new WeirError('WEIR_STATE', `${stateLabel(state, operatorNameOf)} key ${describeKey(key)}: ${reason}`, { operator: operatorNameOf?.(state) });
  }
}
