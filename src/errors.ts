import { thisThreadName } from './util/thread-name.ts';

/**
 * Errors with stable codes. They cross thread boundaries as plain objects
 * ({ code, message, operator, retriable, stack, … }) because postMessage loses class identity.
 */
export type ErrorCode =
  | 'WEIR_USER_FUNCTION' // a user function threw
  | 'WEIR_ASYNC_FUNCTION' // a user function is async or returned a Promise (weir does not await user functions)
  | 'WEIR_ASYNC_TIMEOUT' // a mapAsync request did not settle within its timeout (on every attempt)
  | 'WEIR_RECORD_TOO_LARGE' // an encoded record does not fit in a ring frame
  | 'WEIR_WORKER_DIED' // a worker thread exited or crashed
  | 'WEIR_ENCODE' // a record could not be encoded by its codec
  | 'WEIR_DECODE' // a frame could not be decoded
  | 'WEIR_SOURCE' // a source failed
  | 'WEIR_SINK' // a sink failed
  | 'WEIR_JOB_DEFINITION' // the job module is not a valid job
  | 'WEIR_CONFIG' // bad options
  | 'WEIR_STATE' // keyed state could not be read or written (LMDB map full, disk full, a value that cannot be encoded)
  | 'WEIR_CHECKPOINT' // a checkpoint could not be taken or completed
  | 'WEIR_INTERNAL' // a bug in weir: one of its own invariants failed (the message names the thread and the invariant)
  | 'WEIR_QUERY_NOT_FOUND' // a state query names an operator without keyed state, or a state the operator does not have (HTTP 404)
  | 'WEIR_QUERY_BAD_REQUEST' // a state query's key (or range bound) is not of the type of the state's keys, or the request is malformed (HTTP 400)
  | 'WEIR_QUERY_UNAVAILABLE' // a state query while the job is not running (starting, restarting, over) or its worker did not answer in time (HTTP 503)
  | 'WEIR_ABORTED'; // the job was stopped because another part failed

export interface ErrorDetails {
  operator?: string;
  partition?: number;
  offset?: number | string;
  worker?: number;
  retriable?: boolean;
  cause?: unknown;
}

export class WeirError extends Error {
  readonly code: ErrorCode;
  readonly operator?: string;
  readonly partition?: number;
  readonly offset?: number | string;
  readonly worker?: number;
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'WeirError';
    this.code = code;
    this.operator = details.operator;
    this.partition = details.partition;
    this.offset = details.offset;
    this.worker = details.worker;
    this.retriable = details.retriable ?? false;
  }
}

export interface PlainError {
  code: ErrorCode;
  message: string;
  operator?: string;
  partition?: number;
  offset?: number | string;
  worker?: number;
  retriable: boolean;
  stack?: string;
}

export function toPlainError(err: unknown): PlainError {
  if (err instanceof WeirError) {
    return {
      code: err.code,
      message: err.message,
      operator: err.operator,
      partition: err.partition,
      offset: err.offset,
      worker: err.worker,
      retriable: err.retriable,
      stack: err.stack,
    };
  }
  if (err && typeof err === 'object' && 'code' in err && typeof (err as PlainError).code === 'string' && String((err as PlainError).code).startsWith('WEIR_')) {
    return err as PlainError;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return { code: 'WEIR_ABORTED', message: e.message, retriable: false, stack: e.stack };
}

export function fromPlainError(plain: PlainError): WeirError {
  const err = new WeirError(plain.code, plain.message, plain);
  if (plain.stack) err.stack = plain.stack;
  return err;
}

/**
 * One of weir's own invariants failed: a bug in weir, never a problem with the user's job or input.
 * The message names the thread and the invariant, so a report of it says where to look.
 */
export function internalError(invariant: string): WeirError {
  return new WeirError('WEIR_INTERNAL', `bug in weir (${thisThreadName()}): invariant failed: ${invariant}`);
}

/**
 * A failure of one record at operator `operator` — its function threw on it, its key was missing,
 * it cannot be encoded or is too large for the exchange — which onError 'dead-letter' sends to the
 * dead letters. Never a WEIR_ASYNC_FUNCTION (every record would fail), nor another operator's error.
 */
export function isRecordFailure(err: WeirError, operator: string): boolean {
  return err.operator === operator && (err.code === 'WEIR_USER_FUNCTION' || err.code === 'WEIR_ASYNC_TIMEOUT' || err.code === 'WEIR_RECORD_TOO_LARGE' || err.code === 'WEIR_ENCODE');
}

/** Wraps an exception thrown by user code, keeping its stack and naming where it happened. */
export function userFunctionError(cause: unknown, operator: string, partition: number, offset: number | string): WeirError {
  const inner = cause instanceof Error ? cause : new Error(String(cause));
  const err = new WeirError(
    'WEIR_USER_FUNCTION',
    `operator "${operator}" threw on the record from source partition ${partition} at offset ${offset}: ${inner.message}`,
    { operator, partition, offset, cause: inner },
  );
  err.stack = `${err.name} [${err.code}]: ${err.message}\n--- original stack ---\n${inner.stack ?? inner.message}`;
  return err;
}

/** Wraps an exception thrown by a keyed function's onTimer, naming the operator, the timer and its key. */
export function timerFunctionError(cause: unknown, operator: string, timestampMs: number, domain: string, key: unknown): WeirError {
  const inner = cause instanceof Error ? cause : new Error(String(cause));
  const offset = `${domain} timer ${timestampMs}`;
  const err = new WeirError('WEIR_USER_FUNCTION', `operator "${operator}" threw in onTimer for the ${offset} of key ${safeKey(key)}: ${inner.message}`, {
    operator,
    offset,
    cause: inner,
  });
  err.stack = `${err.name} [${err.code}]: ${err.message}\n--- original stack ---\n${inner.stack ?? inner.message}`;
  return err;
}

function safeKey(key: unknown): string {
  try {
    return JSON.stringify(key) ?? String(key);
  } catch {
    return String(key);
  }
}
