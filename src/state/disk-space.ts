/**
 * Free disk space for LMDB. lmdb-js maps its data file into memory: on a filesystem with (almost)
 * no space left, opening an environment kills the process with SIGBUS or SIGSEGV before open()
 * returns, and a write that meets ENOSPC prints a raw "Write error" line and leaves lmdb-js' heap
 * damaged (the process aborts later). Neither can be caught. So a store keeps
 * limits.stateFreeBytesMin free on its filesystem: it does not open below it, and refuses a write
 * transaction that would go below it, with a WEIR_STATE error naming the directory.
 *
 * statfs costs a syscall (~1 µs): it is asked again once the bytes written since the last answer
 * could have used a quarter of the headroom it left, or after recheckMs (another process may fill
 * the disk too).
 */
import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { WeirError } from '../errors.ts';

const recheckMs = 250;

/** Bytes an unprivileged process may still write on the filesystem holding `path` (or its nearest existing parent). */
export function freeBytesAt(path: string): number {
  for (let at = path; ; at = dirname(at)) {
    try {
      const s = statfsSync(at);
      return s.bavail * s.bsize;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(at) === at) throw err;
    }
  }
}

export class DiskSpaceGuard {
  private headroomBytes = 0;
  private lastCheckMs = 0;

  /** Throws WEIR_STATE when `dir`'s filesystem has less than `freeBytesMin` free already. */
  constructor(
    readonly dir: string,
    readonly freeBytesMin: number,
  ) {
    const free = this.measure();
    if (free < freeBytesMin) {
      throw new WeirError(
        'WEIR_STATE',
        `cannot open the state store at ${dir}: ${free} bytes free on its filesystem, at least ${freeBytesMin} needed (limits.stateFreeBytesMin; LMDB crashes the process when its disk fills): free space or choose another --work-dir`,
      );
    }
  }

  /** Before writing about `bytes`: throws WEIR_STATE when fewer than freeBytesMin would stay free. */
  beforeWrite(bytes: number): void {
    if (bytes * 4 <= this.headroomBytes && Date.now() - this.lastCheckMs < recheckMs) {
      this.headroomBytes -= bytes;
      return;
    }
    const free = this.measure();
    if (free - bytes < this.freeBytesMin) {
      throw new WeirError(
        'WEIR_STATE',
        `the state store at ${this.dir} stops writing: ${free} bytes free on its filesystem, ${bytes} to write, and at least ${this.freeBytesMin} must stay free (limits.stateFreeBytesMin; LMDB crashes the process when its disk fills): the disk is (almost) full`,
      );
    }
    this.headroomBytes -= bytes;
  }

  private measure(): number {
    const free = freeBytesAt(this.dir);
    this.lastCheckMs = Date.now();
    this.headroomBytes = free - this.freeBytesMin;
    return free;
  }
}
