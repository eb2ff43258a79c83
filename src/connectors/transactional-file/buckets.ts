/**
 * Buckets of a transactional file sink (Flink's BucketAssigner): the subdirectory of the sink's
 * directory a record's line goes to, such as `dt=2026-12-07/hm=10:15`. A bucket is a relative
 * path of plain names joined by "/", none of them hidden (a leading dot is the sink's own mark of
 * files not yet committed) and none "." or "..": it can never leave the sink's directory.
 */
import { join } from 'node:path';
import { isPlainFileName } from './names.ts';

/** Why `bucket` is not a bucket, or undefined when it is one. */
export function badBucketReason(bucket: unknown): string | undefined {
  if (typeof bucket !== 'string') return `a bucket is a string, not ${bucket === null ? 'null' : typeof bucket}`;
  if (bucket === '') return 'a bucket is not empty';
  for (const segment of bucket.split('/')) {
    if (!isPlainFileName(segment)) return `${JSON.stringify(bucket)} is not a relative path of plain names joined by "/"`;
    if (segment.startsWith('.')) return `${JSON.stringify(bucket)} has a name that starts with "." (hidden names are the sink's own)`;
  }
  return undefined;
}

/** The directory of `bucket` ('' for no bucket: the sink's directory itself). */
export const bucketDir = (dir: string, bucket: string | undefined): string => (bucket ? join(dir, bucket) : dir);

/** Parts grouped by bucket (undefined: the sink's directory), in the order first seen. */
export function byBucket<P extends { bucket?: string }>(parts: readonly P[]): Map<string | undefined, P[]> {
  const groups = new Map<string | undefined, P[]>();
  for (const p of parts) {
    const group = groups.get(p.bucket);
    if (group === undefined) groups.set(p.bucket, [p]);
    else group.push(p);
  }
  return groups;
}
