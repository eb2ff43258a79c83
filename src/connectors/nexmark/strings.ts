/** Random strings of the Nexmark rows: short words, e-mail addresses, credit cards, URLs, padding. */
import { EventRandom } from './random.ts';

const minStringLength = 3;
const a = 'a'.charCodeAt(0);

/** A string of 3..maxLength−1 letters with an occasional `special` character, trimmed (as the benchmark's short strings). */
export function randomString(random: EventRandom, maxLength: number, special = ' '): string {
  let length = minStringLength + random.nextInt(maxLength - minStringLength);
  let s = '';
  while (length-- > 0) s += random.nextInt(13) === 0 ? special : String.fromCharCode(a + random.nextInt(26));
  return special === ' ' ? s.trim() : s;
}

export function randomEmail(random: EventRandom): string {
  return `${randomString(random, 7)}@${randomString(random, 5)}.com`;
}

export function randomCreditCard(random: EventRandom): string {
  const group = () => String(random.nextInt(10_000)).padStart(4, '0');
  return `${group()} ${group()} ${group()} ${group()}`;
}

/** A product page URL: three random path segments. */
export function randomUrl(random: EventRandom): string {
  return `https://www.nexmark.com/${randomString(random, 5, '_')}/${randomString(random, 5, '_')}/${randomString(random, 5, '_')}/item.htm?query=1`;
}

/** Java's Integer.reverse (bit order reversed, as a signed 32-bit int). */
export function reverseBits32(x: number): number {
  let r = 0;
  for (let i = 0; i < 32; i++) {
    r = (r << 1) | (x & 1);
    x >>>= 1;
  }
  return r | 0;
}

/**
 * Padding: random letters taken from a pool made once per seed (as the benchmark cuts its extra
 * strings out of one long random string, which keeps generation cheap).
 */
const padPoolChars = 1 << 16;
const padPools = new Map<number, string>();

function padPool(seed: number): string {
  let pool = padPools.get(seed);
  if (pool === undefined) {
    const random = new EventRandom(seed);
    random.reset(0, 0x1f2e3d4c);
    const codes = new Array<number>(padPoolChars);
    for (let i = 0; i < padPoolChars; i++) codes[i] = a + random.nextInt(26);
    pool = '';
    for (let i = 0; i < padPoolChars; i += 4096) pool += String.fromCharCode(...codes.slice(i, i + 4096));
    padPools.set(seed, pool);
  }
  return pool;
}

/** Padding that brings a row of `currentBytes` to `averageBytes` on average (±20 %), or '' when it is already larger. */
export function randomExtra(random: EventRandom, seed: number, currentBytes: number, averageBytes: number): string {
  if (currentBytes > averageBytes) return '';
  const wanted = averageBytes - currentBytes;
  const delta = Math.round(wanted * 0.2);
  const length = Math.min(wanted - delta + (delta === 0 ? 0 : random.nextInt(2 * delta)), padPoolChars / 2);
  const pool = padPool(seed);
  const at = random.nextInt(pool.length - length);
  return pool.substring(at, at + length);
}
