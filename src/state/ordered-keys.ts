/**
 * ordered-binary's key encoding as LMDB stores keys, for the change log and the snapshot files.
 *
 * Null termination is a setting of the ordered-binary module instance: lmdb turns it on for its
 * own when it loads. lmdb is loaded on first use, as CommonJS (lmdb-store.ts), so it no longer
 * shares this ES module instance; the setting is made here, where these keys are written, and
 * the keys stay byte for byte those of earlier snapshots.
 */
import { enableNullTermination, readKey, writeKey } from 'ordered-binary';

enableNullTermination();

export { readKey, writeKey };
