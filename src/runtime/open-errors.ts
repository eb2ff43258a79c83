import { WeirError, type ErrorCode } from '../errors.ts';

/**
 * An error a connector's open() threw, as the job reports it: a WeirError keeps its own code and
 * message; anything else becomes `code` naming the connector, with the original stack kept (it is
 * lost with the cause when the error crosses to the main thread).
 */
export function openError(err: unknown, code: ErrorCode, what: string, operator: string): WeirError {
  if (err instanceof WeirError) return err;
  if (err && typeof err === 'object' && String((err as { code?: unknown }).code).startsWith('WEIR_')) return err as WeirError;
  const inner = err instanceof Error ? err : new Error(String(err));
  const wrapped = new WeirError(code, `${what} could not open: ${inner.message}`, { operator, cause: inner });
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
