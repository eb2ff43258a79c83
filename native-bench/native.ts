// Builds and runs the C single-producer/single-consumer ring (native-bench/c/spsc_ring.c): what
// this hardware allows for the same frames, so reports can say how far the TypeScript ring is.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('./c/spsc_ring.c', import.meta.url));
const buildDir = fileURLToPath(new URL('./.build/', import.meta.url));
const binary = `${buildDir}spsc_ring`;

export function buildNativeRing(): string {
  if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) return binary;
  mkdirSync(buildDir, { recursive: true });
  try {
    execFileSync('cc', ['-O2', '-pthread', '-o', binary, source], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    throw new Error(`cannot build the native ring baseline with cc (install gcc): ${(err as Error).message}`);
  }
  return binary;
}

export async function nativeRingBench(frames: number): Promise<{ framesPerSec: number; seconds: number }> {
  const out = execFileSync(buildNativeRing(), [String(frames)], { encoding: 'utf8' });
  const result = JSON.parse(out) as { framesPerSec: number; seconds: number; checksumOk: boolean };
  if (!result.checksumOk) throw new Error('native ring: checksum mismatch');
  return result;
}
