/** A value JSON can carry unchanged: what sinks' pre-commit notes and checkpoint metadata hold. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
