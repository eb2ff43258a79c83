/**
 * The bytes of a `_metadata` file:
 *
 *   weir-checkpoint-metadata v1 bytes=<body length> sha256=<hex of the body>\n
 *   <body: the metadata as pretty-printed JSON>
 *
 * The header carries the checksum of the body as it is, byte for byte, so nothing has to be
 * re-serialised in a canonical form to check it, and the file stays readable with `cat`. A
 * truncated file fails on its length, a flipped byte on its checksum, a foreign file on its header.
 */
import { sha256Hex } from '../util/durable-fs.ts';
import { validateMetadata, type CheckpointMetadata, type Validation } from './metadata.ts';

const magic = 'weir-checkpoint-metadata';
const headerPattern = /^weir-checkpoint-metadata v(\d+) bytes=(\d+) sha256=([0-9a-f]{64})$/;
/** A header line is far shorter; a longer first line means this is not our file. */
const headerBytesMax = 200;

export function encodeMetadataFile(metadata: CheckpointMetadata): Buffer {
  const body = Buffer.from(JSON.stringify(metadata, null, 2) + '\n', 'utf8');
  const header = `${magic} v1 bytes=${body.length} sha256=${sha256Hex(body)}\n`;
  return Buffer.concat([Buffer.from(header, 'utf8'), body]);
}

/** Parses and validates a `_metadata` file's bytes; the reason says what is wrong with it. */
export function decodeMetadataFile(data: Buffer): Validation<CheckpointMetadata> {
  if (data.length === 0) return { ok: false, reason: 'the metadata file is empty (written halfway?)' };
  const newline = data.indexOf(0x0a);
  if (newline < 0 || newline > headerBytesMax) {
    return data.subarray(0, magic.length).toString('latin1') === magic
      ? { ok: false, reason: 'the metadata header is cut off (written halfway?)' }
      : { ok: false, reason: 'not a weir checkpoint metadata file (no header line)' };
  }
  const header = data.subarray(0, newline).toString('utf8');
  const match = headerPattern.exec(header);
  if (!match) {
    return header.startsWith(magic)
      ? { ok: false, reason: `unreadable metadata header ${JSON.stringify(header)}` }
      : { ok: false, reason: `not a weir checkpoint metadata file (header ${JSON.stringify(header.slice(0, 60))})` };
  }
  const [, version, bytesText, sha256] = match;
  if (version !== '1') return { ok: false, reason: `metadata file layout v${version} is not one this version of weir reads (v1)` };
  const body = data.subarray(newline + 1);
  const bytes = Number(bytesText);
  if (body.length < bytes) return { ok: false, reason: `the metadata is truncated: ${body.length} of ${bytes} bytes (written halfway?)` };
  if (body.length > bytes) return { ok: false, reason: `the metadata has ${body.length - bytes} bytes more than its header says` };
  const actual = sha256Hex(body);
  if (actual !== sha256) return { ok: false, reason: `metadata checksum mismatch (sha256 ${actual.slice(0, 12)}…, header says ${sha256.slice(0, 12)}…): the file was changed or damaged` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: `the metadata is not valid JSON: ${(err as Error).message}` };
  }
  const checked = validateMetadata(parsed);
  return checked.ok ? checked : { ok: false, reason: `invalid metadata: ${checked.reason}` };
}
