import { afterEach, describe, expect, it } from 'vitest';
import { Doorbells } from '../../src/channel/doorbell.ts';
import { sharedRing, startRole, stopAll } from './helpers.ts';

afterEach(stopAll);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Doorbells', () => {
  it('byteLength gives each thread its own cache line', () => {
    expect(Doorbells.byteLength(1)).toBe(64);
    expect(Doorbells.byteLength(5)).toBe(320);
    expect(() => Doorbells.byteLength(0)).toThrow();
    expect(() => new Doorbells(new SharedArrayBuffer(64), 0, 2)).toThrow(/do not fit/);
  });

  it('park returns true at once when ready() already holds, false after its timeout otherwise', () => {
    const { bells } = sharedRing(2);
    // An hour's timeout: had it waited at all, the test would time out instead of passing.
    expect(bells.park(0, () => true, 3_600_000)).toBe(true);
    const t0 = performance.now();
    expect(bells.park(0, () => false, 30)).toBe(false);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25); // it waited: a timeout never comes early
    expect(bells.isParked(0)).toBe(false);
  });

  it('ring() on a thread that is not parked costs nothing and changes nothing', () => {
    const { sab, bells } = sharedRing(2);
    const before = new Int32Array(sab.slice(0));
    bells.ring(1);
    expect(new Int32Array(sab.slice(0))).toEqual(before);
  });

  it('wakes a thread parked in another worker', async () => {
    const { sab } = sharedRing(2);
    const flags = new SharedArrayBuffer(4);
    const { bells } = { bells: new Doorbells(sab, 0, 2) };
    const parker = startRole<{ woke: boolean; elapsedMs: number; flag: number }>({ role: 'park', sab, bells: 2, flags, id: 1, timeoutMs: 10_000 });
    await parker.signal;
    // Give it time to really be inside Atomics.wait.
    for (let i = 0; i < 200 && !bells.isParked(1); i++) await sleep(5);
    await sleep(30);
    expect(bells.isParked(1)).toBe(true);
    Atomics.store(new Int32Array(flags), 0, 1);
    bells.ring(1);
    const res = await parker.result;
    expect(res.woke).toBe(true);
    expect(res.flag).toBe(1);
    expect(res.elapsedMs).toBeGreaterThanOrEqual(25); // it was parked when rung (woke is false on a timeout)
  });

  it('a parked worker times out when nobody rings', async () => {
    const { sab } = sharedRing(2);
    const parker = startRole<{ woke: boolean; elapsedMs: number }>({ role: 'park', sab, bells: 2, flags: new SharedArrayBuffer(4), id: 0, timeoutMs: 60 });
    const res = await parker.result;
    expect(res.woke).toBe(false);
    expect(res.elapsedMs).toBeGreaterThanOrEqual(50);
  });

  it('ringAll() wakes a parked worker', async () => {
    const { sab, bells } = sharedRing(3);
    const parker = startRole<{ woke: boolean; elapsedMs: number }>({ role: 'park', sab, bells: 3, flags: new SharedArrayBuffer(4), id: 2, timeoutMs: 10_000 });
    await parker.signal;
    for (let i = 0; i < 200 && !bells.isParked(2); i++) await sleep(5);
    bells.ringAll();
    const res = await parker.result;
    expect(res.woke).toBe(true); // false had it timed out
  });

  it('no lost wake-ups: two threads that always park hand a token back and forth', async () => {
    const { sab } = sharedRing(2);
    const flags = new SharedArrayBuffer(4);
    const rounds = 3000;
    const common = { role: 'pingpong', sab, bells: 2, flags, rounds, timeoutMs: 30_000 };
    const a = startRole<{ timeouts: number; parks: number }>({ ...common, id: 0, peer: 1 });
    const b = startRole<{ timeouts: number; parks: number }>({ ...common, id: 1, peer: 0 });
    const [ra, rb] = await Promise.all([a.result, b.result]);
    expect(Atomics.load(new Int32Array(flags), 0)).toBe(2 * rounds);
    // A lost wake-up would leave a thread asleep until its timeout (30 s: far beyond any
    // descheduling on a busy machine, so a timeout here means a lost wake-up).
    expect(ra.timeouts + rb.timeouts).toBe(0);
    expect(ra.parks + rb.parks).toBeGreaterThan(0); // the handshake was exercised
  });
});
