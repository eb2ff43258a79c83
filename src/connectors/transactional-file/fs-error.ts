import { WeirError } from '../../errors.ts';

/** A failed file operation (disk full, permission, …) as the WEIR_SINK error naming the sink and the file. */
export function sinkFileError(sink: string, action: string, file: string, cause: unknown): WeirError {
  if (cause instanceof WeirError) return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new WeirError('WEIR_SINK', `sink "${sink}": cannot ${action} ${file}: ${reason}`, { operator: sink, cause });
}

export function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ENOENT';
}
