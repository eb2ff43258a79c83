import { afterEach, describe, expect, it } from 'vitest';
import { sharedRing, startRole, stopAll } from './helpers.ts';

afterEach(stopAll);

interface ProducerRaw { sent: number; parks: number }
interface ConsumerRaw { received: number; sum: number; outOfOrder: number; badAux: number; parks: number }

describe('ring between two worker threads', () => {
  it('passes 10,000,000 small frames in order with a matching checksum', async () => {
    const frames = 10_000_000;
    const { sab, ringOffset } = sharedRing(2, 1 << 16);
    const common = { sab, bells: 2, ringOffset, frames, deadlineMs: 60_000 };
    const consumer = startRole<ConsumerRaw>({ ...common, role: 'consumer-raw', id: 1, peer: 0 });
    const producer = startRole<ProducerRaw>({ ...common, role: 'producer-raw', id: 0, peer: 1 });
    const t0 = performance.now();
    const [p, c] = await Promise.all([producer.result, consumer.result]);
    const seconds = (performance.now() - t0) / 1000;
    expect(p.sent).toBe(frames);
    expect(c.received).toBe(frames);
    expect(c.sum).toBe((frames * (frames - 1)) / 2);
    expect(c.outOfOrder).toBe(0);
    expect(c.badAux).toBe(0);
    console.log(`10M frames: ${(frames / seconds / 1e6).toFixed(1)} M frames/s incl. thread start; parks: producer ${p.parks}, consumer ${c.parks}`);
  });

  it('backpressure: a fast producer parks on a full ring; bytes outstanding and heap stay bounded', async () => {
    const frames = 40_000;
    const capacityBytes = 1 << 16;
    const recordChars = 900; // ~40 MB of records in total through a 64 KiB ring
    const { sab, ringOffset } = sharedRing(2, capacityBytes);
    const common = { sab, bells: 2, ringOffset, frames, deadlineMs: 60_000 };
    const consumer = startRole<{ received: number; outOfOrder: number; maxUsed: number }>({ ...common, role: 'consumer-slow', id: 1, peer: 0, sleepEvery: 200 });
    const producer = startRole<{ sent: number; parks: number; blocked: number; maxUsed: number; capacityBytes: number; heap: number[] }>({
      ...common,
      role: 'producer-fast',
      id: 0,
      peer: 1,
      recordChars,
    });
    const [p, c] = await Promise.all([producer.result, consumer.result]);
    expect(c.received).toBe(frames);
    expect(c.outOfOrder).toBe(0);
    // The producer was held back, and parked (not spun) while held back.
    expect(p.blocked).toBeGreaterThan(10);
    expect(p.parks).toBeGreaterThan(10);
    // Never more than the ring's capacity outstanding, seen from either side.
    expect(p.maxUsed).toBeLessThanOrEqual(capacityBytes);
    expect(c.maxUsed).toBeLessThanOrEqual(capacityBytes);
    expect(p.maxUsed).toBeGreaterThan(capacityBytes / 2); // it did fill up
    // Heap after full GCs, sampled through the run: no queue grows with the records sent (~40 MB).
    const growth = Math.max(...p.heap) - p.heap[0]!;
    console.log(`backpressure: ${p.blocked} blocked writes, ${p.parks} parks, max ${p.maxUsed} B outstanding, heap samples (MB) ${p.heap.map((h) => (h / 2 ** 20).toFixed(1)).join(' ')}`);
    expect(growth).toBeLessThan(4 * 2 ** 20);
  });
});
