// A work dir on a full disk: LMDB would kill the process (SIGBUS at open, heap damage after a
// write meets ENOSPC), so the store refuses to open, or to write, below limits.stateFreeBytesMin
// free, with WEIR_STATE naming the directory. On a real 2 MiB tmpfs when this runs as root (the
// mount is made here and removed after); otherwise the same checks through the store's
// freeBytesMin option on an ordinary temp dir.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { limits } from '../../src/limits.ts';
import { run } from '../../src/runtime/index.ts';
import { freeBytesAt } from '../../src/state/disk-space.ts';
import { LmdbStore } from '../../src/state/lmdb-store.ts';
import { expectWeirError, jobUrl, tempDir } from '../helpers.ts';

const root = tempDir('weir-disk-full-');
let small = false;

beforeAll(() => {
  const mountPoint = join(root.path, 'tmpfs');
  mkdirSync(mountPoint);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint], { stdio: 'ignore' });
    small = true;
  } catch {
    small = false; // not root: the thresholds are set through freeBytesMin instead
  }
});

afterAll(() => {
  // Lazy: a store a failed test left open must not keep the mount behind.
  if (small) execFileSync('umount', ['-l', join(root.path, 'tmpfs')]);
  root.remove();
});

const disk = () => join(root.path, 'tmpfs');

describe('a state store on a full disk', () => {
  test('a job whose work dir has less than the minimum free fails with WEIR_STATE naming the dir, the free and the needed bytes', async () => {
    if (small) {
      const workDir = join(disk(), 'work');
      const err = await expectWeirError(run(jobUrl('keyed-totals'), { workDir }).then((h) => h.done), 'WEIR_STATE');
      expect(err.message).toMatch(new RegExp(`cannot open the state store at ${join(workDir, 'state')}(/worker-\\d)?: \\d+ bytes free on its filesystem, at least ${limits.stateFreeBytesMin} needed`));
      rmSync(workDir, { recursive: true, force: true });
    } else {
      const path = join(disk(), 'state');
      const needed = freeBytesAt(path) + 1024 ** 3;
      expect(() => new LmdbStore({ path, freeBytesMin: needed })).toThrow(new RegExp(`cannot open the state store at ${path}: \\d+ bytes free on its filesystem, at least ${needed} needed`));
    }
  });

  test('writes stop, with WEIR_STATE naming the dir, before LMDB meets a full disk; what was written stays readable', () => {
    const path = join(disk(), 'state');
    // 1 MiB may be filled: on the 2 MiB tmpfs the rest must stay free.
    const freeBytesMin = freeBytesAt(disk()) - 1024 * 1024;
    const store = new LmdbStore({ path, cacheEntriesMax: 0, freeBytesMin });
    let written = 0;
    const err = (() => {
      try {
        for (; written < 100_000; written++) store.put('op/x', 0, written, '', 'v'.repeat(200));
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(err).toMatchObject({ code: 'WEIR_STATE' });
    expect(err!.message).toMatch(new RegExp(`the state store at ${path} stops writing: \\d+ bytes free on its filesystem, \\d+ to write, and at least ${freeBytesMin} must stay free`));
    expect(written).toBeGreaterThan(100);
    expect(store.get('op/x', 0, written - 1, '')).toBe('v'.repeat(200));
    expect(store.get('op/x', 0, 0, '')).toBe('v'.repeat(200));
    store.close();
    // The store closed cleanly (LMDB never met ENOSPC): it opens again with its data.
    const again = new LmdbStore({ path, cacheEntriesMax: 0, freeBytesMin: 0 });
    expect(again.get('op/x', 0, written - 1, '')).toBe('v'.repeat(200));
    again.close();
    rmSync(path, { recursive: true, force: true });
  });
});
