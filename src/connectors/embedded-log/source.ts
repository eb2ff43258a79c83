/** logSource: an embedded log as a weir source. */
import { WeirError, userFunctionError } from '../../errors.ts';
import { END, type SourceContext, type SourceOutput, type SourceReader, type SourceSpec } from '../types.ts';
import type { LogCursor } from './cursor.ts';
import { EmbeddedLog } from './log.ts';
import { checkKnownKeys, type KeySet } from '../../util/known-keys.ts';

/** A follow-mode source that has caught up asks to be polled again after this long. */
export const logFollowPollMs = 5;

export interface LogSourceOptions<T> {
  dir: string;
  /** How a payload becomes a value: JSON.parse (default), a UTF-8 string, or a copy of the bytes (a Uint8Array). */
  decode?: 'json' | 'string' | 'bytes';
  /** false (default): read up to the end offset seen when the partition is opened, then END. true: tail forever. */
  follow?: boolean;
  /** Event time of a value (epoch ms); without it records have none (NaN). */
  timestamp?: (value: T) => number;
}

const logSourceKeys = { dir: true, decode: true, follow: true, timestamp: true } as const satisfies KeySet<LogSourceOptions<unknown>>;

/**
 * Reads an embedded log, one source partition per log partition. Offsets are the log's offsets;
 * position() is the next offset and open(p, ctx, from) resumes there. createdMs is NaN (the log
 * does not store when a record was made). A payload that is not valid JSON (decode 'json') goes
 * to the dead letters with its offset.
 */
export function logSource<T = unknown>(opts: LogSourceOptions<T>): SourceSpec<T> {
  checkKnownKeys('logSource', opts, logSourceKeys);
  const decode = opts.decode ?? 'json';
  if (decode !== 'json' && decode !== 'string' && decode !== 'bytes') {
    throw new WeirError('WEIR_CONFIG', `logSource: decode must be 'json', 'string' or 'bytes', got ${JSON.stringify(decode)}`);
  }
  let partitions: number | undefined;
  return {
    kind: 'embedded-log',
    partitions: () => (partitions ??= EmbeddedLog.readMeta(opts.dir).partitions),
    open: (partition, _ctx: SourceContext, from) => new LogSourceReader<T>(opts, decode, partition, from),
  };
}

class LogSourceReader<T> implements SourceReader<T> {
  private readonly log: EmbeddedLog;
  private readonly cursor: LogCursor;
  private readonly follow: boolean;
  private readonly endOffset: number;
  private caughtUp = false;

  constructor(
    private readonly opts: LogSourceOptions<T>,
    private readonly decode: 'json' | 'string' | 'bytes',
    private readonly partition: number,
    from: unknown,
  ) {
    if (from !== undefined && from !== null && (typeof from !== 'number' || !Number.isSafeInteger(from) || from < 0)) {
      throw new WeirError('WEIR_SOURCE', `logSource ${opts.dir}: cannot resume partition ${partition} from position ${JSON.stringify(from)} (expected an offset)`, {
        partition,
      });
    }
    this.log = EmbeddedLog.open(opts.dir, { readOnly: true });
    try {
      this.follow = opts.follow ?? false;
      this.endOffset = this.follow ? Infinity : this.log.endOffset(partition);
      this.cursor = this.log.cursor(partition, (from as number | undefined) ?? 0, { follow: this.follow, endOffset: this.endOffset });
    } catch (err) {
      this.log.close();
      throw err;
    }
  }

  poll(max: number, out: SourceOutput<T>): number {
    const cursor = this.cursor;
    const timestamp = this.opts.timestamp;
    let n = 0;
    while (n < max && cursor.next()) {
      n++;
      const offset = cursor.recordOffset;
      let value: T;
      if (this.decode === 'json') {
        const text = cursor.buffer.toString('utf8', cursor.payloadStart, cursor.payloadEnd);
        try {
          value = JSON.parse(text) as T;
        } catch (err) {
          out.deadLetter(text, `bad JSON in embedded log ${this.opts.dir} partition ${this.partition} at offset ${offset}: ${(err as Error).message}`, offset);
          continue;
        }
      } else if (this.decode === 'string') {
        value = cursor.buffer.toString('utf8', cursor.payloadStart, cursor.payloadEnd) as T;
      } else {
        const bytes = new Uint8Array(cursor.payloadEnd - cursor.payloadStart);
        bytes.set(cursor.buffer.subarray(cursor.payloadStart, cursor.payloadEnd));
        value = bytes as T;
      }
      let ts = NaN;
      if (timestamp !== undefined) {
        try {
          ts = timestamp(value);
        } catch (err) {
          throw userFunctionError(err, 'logSource.timestamp', this.partition, offset);
        }
      }
      out.emit(value, offset, ts, NaN);
    }
    this.caughtUp = n < max;
    if (n === 0 && !this.follow && cursor.offset >= this.endOffset) return END;
    return n;
  }

  idleMs(): number {
    return this.follow && this.caughtUp ? logFollowPollMs : 0;
  }

  position(): number {
    return this.cursor.offset;
  }

  close(): void {
    this.log.close();
  }
}
