/** How a worker thread's failures are reported: what a connector's open() threw, an unexpected exception, a clean-up's error. */
import { toPlainError, WeirError, type ErrorCode, type PlainError } from '../../errors.ts';

/**
 * An error a connector threw, as the job reports it: a WeirError keeps its own code and message;
 * anything else becomes `code`, its message prefixed with `context` (say `sink "out" could not
 * open`), the original stack kept (it is lost with the cause when the error crosses to the main
 * thread).
 */
export function connectorError(err: unknown, code: ErrorCode, context: string, operator: string): WeirError {
  if (err instanceof WeirError) return err;
  if (err && typeof err === 'object' && String((err as { code?: unknown }).code).startsWith('WEIR_')) return err as WeirError;
  const inner = err instanceof Error ? err : new Error(String(err));
  const wrapped = new WeirError(code, `${context}: ${inner.message}`, { operator, cause: inner });
  wrapped.stack = `${wrapped.name} [${code}]: ${wrapped.message}\n--- original stack ---\n${inner.stack ?? inner.message}`;
  return wrapped;
}

/** Runs a clean-up step after a failure: its own error must not replace the job's. */
export async function quietly(step: () => unknown): Promise<void> {
  try {
    await step();
  } catch {
    // the job's error is the one that counts
  }
}

/**
 * A worker's failure as the job reports it. A WeirError (or its plain form) keeps its code; any
 * other exception is an unexpected failure of the worker (a file system error, a bug) and says so
 * with its own message — not WEIR_ABORTED, which means "stopped because another part failed".
 */
export function workerFailure(err: unknown, worker: number): PlainError {
  const isWeir = err instanceof WeirError || (err !== null && typeof err === 'object' && String((err as { code?: unknown }).code).startsWith('WEIR_'));
  const plain = toPlainError(err);
  if (!isWeir) Object.assign(plain, { code: 'WEIR_WORKER_DIED', message: `worker ${worker} failed: ${plain.message}` });
  plain.worker ??= worker;
  return plain;
}
