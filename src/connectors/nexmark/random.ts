/**
 * Per-event randomness. Every event number gets its own stream, derived from (seed, n) alone, so
 * any event can be made on its own (replay from a position, partitions in any split) and always
 * comes out the same. The stream is a counter run through Wellons' lowbias32 mixer: a cheap,
 * well-avalanched 32-bit function, good enough for a workload generator (not for anything secret).
 */
import { lowbias32 } from '../../util/random.ts';

const golden = 0x9e3779b9;
const inv32 = 1 / 4294967296;

const mix32 = lowbias32;

export class EventRandom {
  private state = 0;
  private readonly seedA: number;
  private readonly seedB: number;

  constructor(seed: number) {
    const lo = seed >>> 0;
    const hi = Math.floor(Math.abs(seed) / 4294967296) >>> 0;
    this.seedA = mix32(lo ^ mix32(hi ^ 0x5bd1e995));
    this.seedB = mix32(this.seedA + golden);
  }

  /** Starts the stream of event number n (and of `salt`, for streams that must not disturb the event's own). */
  reset(n: number, salt = 0): void {
    const hi = Math.floor(n * inv32) >>> 0;
    let s = mix32((n >>> 0) ^ this.seedA);
    s = mix32(s + this.seedB + (hi === 0 ? 0 : mix32(hi ^ 0x27d4eb2f)) + salt);
    this.state = s;
  }

  /** A uniform 32-bit unsigned integer. */
  next32(): number {
    this.state = (this.state + golden) >>> 0;
    return mix32(this.state);
  }

  /** A uniform integer in [0, bound), bound ≤ 2^32. */
  nextInt(bound: number): number {
    return Math.floor(this.next32() * inv32 * bound);
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  nextDouble(): number {
    return ((this.next32() >>> 5) * 67108864 + (this.next32() >>> 6)) / 9007199254740992;
  }
}
