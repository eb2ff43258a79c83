// Checkpoint metadata: field validation with reasons, and the checksummed file form.
import { describe, expect, it } from 'vitest';
import { decodeMetadataFile, encodeMetadataFile } from '../../src/checkpoint/metadata-file.ts';
import { metadataFormatVersion, validateMetadata, type CheckpointMetadata } from '../../src/checkpoint/metadata.ts';

const valid: CheckpointMetadata = {
  formatVersion: metadataFormatVersion,
  id: 12,
  kind: 'savepoint',
  savepointName: 'pre-upgrade',
  createdAtMs: 1_700_000_000_000,
  jobName: 'orders',
  parallelism: 4,
  keyGroups: 128,
  sourcePositions: [{ operatorUid: 'kafka-orders', partition: 3, position: { topic: 'orders', offset: '123456789012345678' } }],
  stateFiles: [{ worker: 0, path: 'state/worker-0.snapshot', bytes: 10, sha256: '0'.repeat(64) }],
  sinkNotes: [{ sinkUid: 'files', subtask: 1, note: ['part-0001.tmp', null, true] }],
};

const reasonFor = (changes: Record<string, unknown>) => {
  const checked = validateMetadata({ ...valid, ...changes });
  return checked.ok ? 'ok' : checked.reason;
};

describe('checkpoint metadata', () => {
  it('accepts a complete savepoint and round-trips it through the file form', () => {
    expect(validateMetadata(valid)).toEqual({ ok: true, value: valid });
    expect(decodeMetadataFile(encodeMetadataFile(valid))).toEqual({ ok: true, value: valid });
    const file = encodeMetadataFile(valid).toString('utf8');
    expect(file).toMatch(/^weir-checkpoint-metadata v1 bytes=\d+ sha256=[0-9a-f]{64}\n\{\n {2}"formatVersion": 1,/);
  });

  it('names the field that is wrong', () => {
    expect(reasonFor({ id: -1 })).toBe('id must be an integer ≥ 0, not -1');
    expect(reasonFor({ kind: 'snapshot' })).toBe('kind must be "checkpoint" or "savepoint", not "snapshot"');
    expect(reasonFor({ kind: 'checkpoint' })).toBe('savepointName is only allowed on a savepoint');
    expect(reasonFor({ savepointName: '../x' })).toMatch(/^savepointName: savepoint name "..\/x" must be/);
    expect(reasonFor({ formatVersion: 2 })).toBe('formatVersion 2 is newer than this version of weir reads (1)');
    expect(reasonFor({ keyGroups: 2 })).toBe('keyGroups (2) must be at least parallelism (4)');
    expect(reasonFor({ jobName: '' })).toBe('jobName must be a non-empty string');
    expect(reasonFor({ epoch: 1.5 })).toBe('epoch must be an integer ≥ 0, not 1.5');
    expect(reasonFor({ operators: { sources: ['a'], stateful: [''] } })).toBe('operators.stateful[0] must be a non-empty string');
    expect(reasonFor({ operators: { sources: 'a', stateful: [] } })).toBe('operators.sources must be an array');
    expect(reasonFor({ sourcePositions: {} })).toBe('sourcePositions must be an array');
    expect(reasonFor({ sourcePositions: [{ operatorUid: 's', partition: 0 }] })).toBe('sourcePositions[0].position is missing');
    expect(reasonFor({ sourcePositions: [{ operatorUid: 's', partition: 0, position: Number.NaN }] })).toBe('sourcePositions[0].position must be JSON (a finite number)');
    expect(
      reasonFor({
        sourcePositions: [
          { operatorUid: 's', partition: 0, position: 1 },
          { operatorUid: 's', partition: 0, position: 2 },
        ],
      }),
    ).toBe('sourcePositions: source "s" partition 0 appears twice');
    expect(reasonFor({ stateFiles: [{ worker: 0, path: '/etc/passwd', bytes: 1, sha256: '0'.repeat(64) }] })).toBe('stateFiles[0].path "/etc/passwd" must be relative');
    expect(reasonFor({ stateFiles: [{ worker: 0, path: 'a/../../b', bytes: 1, sha256: '0'.repeat(64) }] })).toMatch(/must not contain empty, "\." or "\.\." parts/);
    expect(reasonFor({ stateFiles: [{ worker: 0, path: '_metadata', bytes: 1, sha256: '0'.repeat(64) }] })).toMatch(/must not shadow the metadata file/);
    expect(reasonFor({ stateFiles: [{ worker: 0, path: 'w', bytes: 1, sha256: 'ABC' }] })).toBe('stateFiles[0].sha256 must be 64 lowercase hex digits');
    expect(reasonFor({ sinkNotes: [{ sinkUid: 'k', subtask: 0, note: { f: () => 1 } }] })).toMatch(/sinkNotes\[0\]\.note\.f must be JSON/);
    expect(validateMetadata(null)).toEqual({ ok: false, reason: 'metadata must be an object' });
  });

  it('the file form catches a flipped byte, a truncation, extra bytes and a foreign file', () => {
    const bytes = encodeMetadataFile(valid);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 20] ^= 0x02;
    expect(decodeMetadataFile(flipped)).toMatchObject({ ok: false, reason: expect.stringMatching(/^metadata checksum mismatch/) });
    expect(decodeMetadataFile(bytes.subarray(0, bytes.length - 1))).toMatchObject({ ok: false, reason: expect.stringMatching(/^the metadata is truncated/) });
    expect(decodeMetadataFile(Buffer.concat([bytes, Buffer.from('x')]))).toMatchObject({ ok: false, reason: 'the metadata has 1 bytes more than its header says' });
    expect(decodeMetadataFile(Buffer.from(JSON.stringify(valid)))).toMatchObject({ ok: false, reason: 'not a weir checkpoint metadata file (no header line)' });
    expect(decodeMetadataFile(Buffer.from('weir-checkpoint-metadata v9 bytes=2 sha256=' + '0'.repeat(64) + '\n{}'))).toMatchObject({
      ok: false,
      reason: 'metadata file layout v9 is not one this version of weir reads (v1)',
    });
  });

  it('a body whose checksum matches but whose content is invalid is reported as invalid metadata', () => {
    const broken = encodeMetadataFile({ ...valid, parallelism: 0 } as CheckpointMetadata);
    expect(decodeMetadataFile(broken)).toEqual({ ok: false, reason: 'invalid metadata: parallelism must be an integer ≥ 1, not 0' });
  });
});
