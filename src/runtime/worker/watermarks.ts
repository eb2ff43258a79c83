/**
 * Watermarks inside the runtime. An input's status is a watermark plus an idle flag (Flink's
 * WatermarkStatus): an idle input does not hold the combined watermark back.
 */
export type WatermarkDeliver = (watermarkMs: number, idle: boolean) => void;

/**
 * The watermark of several inputs (a union's streams, an exchange's senders, a source's
 * partitions): the minimum over the inputs that are not idle; idle when all are. The output never
 * goes back: an input that was idle and comes back behind the others cannot pull it down (its
 * records are then late, as in Flink). Emits only on change.
 */
export class WatermarkCombiner {
  private readonly watermarks: Float64Array;
  private readonly idle: Uint8Array;
  private outputMs = Number.NEGATIVE_INFINITY;
  private outputIdle = false;

  constructor(
    inputs: number,
    private readonly emit: WatermarkDeliver,
  ) {
    this.watermarks = new Float64Array(inputs).fill(Number.NEGATIVE_INFINITY);
    this.idle = new Uint8Array(inputs);
  }

  get currentMs(): number {
    return this.outputMs;
  }

  update(input: number, watermarkMs: number, idle: boolean): void {
    if (watermarkMs > this.watermarks[input]) this.watermarks[input] = watermarkMs;
    this.idle[input] = idle ? 1 : 0;
    let min = Number.POSITIVE_INFINITY;
    let active = 0;
    for (let i = 0; i < this.watermarks.length; i++) {
      if (this.idle[i] !== 0) continue;
      active++;
      if (this.watermarks[i] < min) min = this.watermarks[i];
    }
    const allIdle = active === 0;
    if (allIdle) {
      if (!this.outputIdle) {
        this.outputIdle = true;
        this.emit(this.outputMs, true);
      }
      return;
    }
    if (min > this.outputMs || this.outputIdle) {
      if (min > this.outputMs) this.outputMs = min;
      this.outputIdle = false;
      this.emit(this.outputMs, false);
    }
  }
}
