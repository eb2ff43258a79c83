/**
 * The wire between a resultsSink subtask (in its worker thread) and the job's main thread: one
 * BroadcastChannel per sink subtask, named after the run's work dir, the sink and the subtask, so
 * that only that subtask and the main thread of that run listen on it — no port has to be handed
 * to the worker. Credits travel in a SharedArrayBuffer the subtask creates and announces: the
 * subtask posts a batch only while fewer than `batchesInFlight` of its batches wait untaken, and
 * otherwise waits on the buffer (Atomics), which the main thread advances as the consumer pulls.
 */

/** Int32 slots of the credit buffer. */
export const kPosted = 0;
/** Batches the main thread has handed to the consumer (or dropped, once the consumer left). */
export const kTaken = 1;
/** 1 once the consumer left (broke out of its loop): the subtask stops posting and waiting. */
export const kDiscard = 2;
/** Set by the main thread when it has received the subtask's end message. */
export const kEndReceived = 3;
export const creditSlots = 4;

/** Every message carries its subtask's credit buffer: an attempt's messages credit that attempt's subtask, whatever an earlier attempt left in flight. */
export type ResultsMessage =
  | { type: 'open'; credits: SharedArrayBuffer }
  | { type: 'batch'; credits: SharedArrayBuffer; records: unknown[] }
  | { type: 'end'; credits: SharedArrayBuffer };

/** JSON, not a separator character: a NUL would cut the name short (channel names are C strings underneath). */
export function resultsChannelName(workDir: string, sink: string, subtask: number): string {
  return JSON.stringify(['weir-results', workDir, sink, subtask]);
}
