import { isMainThread, threadId } from 'node:worker_threads';

let name: string | undefined;

/** Names this thread in weir's internal errors ("worker 1", "coordinator"); set once by its entry point. */
export function nameThisThread(threadName: string): void {
  name = threadName;
}

/** This thread's name, for an error that must say where it happened. */
export function thisThreadName(): string {
  return name ?? (isMainThread ? 'main thread' : `thread ${threadId}`);
}
