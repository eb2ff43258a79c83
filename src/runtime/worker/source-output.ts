import type { SourceOutput } from '../../connectors/types.ts';
import type { LatencyRecorder } from '../instrumentation/latency-recorder.ts';
import type { Deliver, OperatorCounters, RecordPosition } from './chain.ts';
import type { SourceTime } from './source-time.ts';

export interface SourceOutputParts {
  /** The source node's consumers in the chain. */
  deliver: Deliver;
  /** Where the record being processed came from (errors downstream name it). */
  position: RecordPosition;
  latency: LatencyRecorder | undefined;
  /** The source's event time on this worker, and this partition's slot in it. */
  time: SourceTime;
  timeSlot: number;
  partition: number;
  deadLetter(raw: unknown, reason: string, offset: number): void;
  /** The source node's counters: its dead letters and skipped input are counted there. */
  counters: OperatorCounters;
  /** The worker's clock (environment.ts): a record's ingestion time, and what "in the future" means. */
  nowMs(): number;
}

/**
 * What a source partition emits into: records go into the chain with their position set. With a
 * watermark strategy, each record first gets its event time; a record without a usable one goes
 * to the dead letters with the reason (never silently dropped). Two closures rather than a branch
 * per record: the common case without event time stays as short as it was.
 */
export function sourceOutput({ deliver, position, latency, time, timeSlot, partition, deadLetter: toDeadLetters, counters, nowMs }: SourceOutputParts): SourceOutput<unknown> {
  const deadLetter = (raw: unknown, reason: string, offset: number): void => {
    counters.deadLetters++;
    toDeadLetters(raw, reason, offset);
  };
  const skip = (): void => void counters.skipped++;
  if (!time.hasStrategy) {
    return {
      emit(value, offset, timestampMs, createdMs) {
        position.partition = partition;
        position.offset = offset;
        if (latency !== undefined) latency.atSource(createdMs);
        deliver(value, timestampMs, createdMs);
      },
      deadLetter,
      skip,
    };
  }
  return {
    emit(value, offset, sourceTimestampMs, createdMs) {
      position.partition = partition;
      position.offset = offset;
      const timestampMs = time.timestampOf(timeSlot, value, sourceTimestampMs, nowMs, partition, offset);
      if (typeof timestampMs === 'string') {
        deadLetter(value, timestampMs, offset);
        return;
      }
      if (latency !== undefined) latency.atSource(createdMs);
      deliver(value, timestampMs, createdMs);
    },
    deadLetter,
    skip,
  };
}
