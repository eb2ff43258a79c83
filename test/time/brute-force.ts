// Window results computed by definition over a whole (bounded) input: the other side of the
// window tests. Nothing here shares code with src/time.

export interface Timed {
  key: number;
  ts: number;
  value: number;
}

export interface WindowResult {
  key: number;
  start: number;
  end: number;
  count: number;
  max: number;
  sum: number;
}

export const windowResultOrder = (a: WindowResult, b: WindowResult) => a.key - b.key || a.start - b.start || a.end - b.end;

function summarise(groups: Map<string, { key: number; start: number; end: number; values: number[] }>): WindowResult[] {
  const out: WindowResult[] = [];
  for (const g of groups.values()) {
    out.push({ key: g.key, start: g.start, end: g.end, count: g.values.length, max: Math.max(...g.values), sum: g.values.reduce((a, b) => a + b, 0) });
  }
  return out.sort(windowResultOrder);
}

/** Groups records by key and by every [start, end) that `windowsOf(ts)` lists. */
export function bruteForceWindows(records: Timed[], windowsOf: (ts: number) => Array<[number, number]>): WindowResult[] {
  const groups = new Map<string, { key: number; start: number; end: number; values: number[] }>();
  for (const r of records) {
    for (const [start, end] of windowsOf(r.ts)) {
      const id = `${r.key}|${start}|${end}`;
      let g = groups.get(id);
      if (!g) groups.set(id, (g = { key: r.key, start, end, values: [] }));
      g.values.push(r.value);
    }
  }
  return summarise(groups);
}

export const tumblingOf = (sizeMs: number, offsetMs = 0) => (ts: number): Array<[number, number]> => {
  const start = Math.floor((ts - offsetMs) / sizeMs) * sizeMs + offsetMs;
  return [[start, start + sizeMs]];
};

export const slidingOf = (sizeMs: number, slideMs: number) => (ts: number): Array<[number, number]> => {
  const windows: Array<[number, number]> = [];
  // Every start k·slide with start ≤ ts < start + size.
  for (let start = Math.floor(ts / slideMs) * slideMs; start > ts - sizeMs; start -= slideMs) windows.push([start, start + sizeMs]);
  return windows;
};

/** Sessions per key: sorted by time, a record more than `gapMs` after the previous one starts a new session ([first, last + gap)). */
export function bruteForceSessions(records: Timed[], gapMs: number): WindowResult[] {
  const byKey = new Map<number, Timed[]>();
  for (const r of records) {
    if (!byKey.has(r.key)) byKey.set(r.key, []);
    byKey.get(r.key)!.push(r);
  }
  const groups = new Map<string, { key: number; start: number; end: number; values: number[] }>();
  for (const [key, rs] of byKey) {
    rs.sort((a, b) => a.ts - b.ts);
    let current: { key: number; start: number; end: number; values: number[] } | undefined;
    for (const r of rs) {
      // Windows [t, t + gap) that touch merge (Flink): a record at exactly last + gap joins.
      if (current && r.ts <= current.end) {
        current.end = Math.max(current.end, r.ts + gapMs);
        current.values.push(r.value);
      } else {
        if (current) groups.set(`${key}|${current.start}`, current);
        current = { key, start: r.ts, end: r.ts + gapMs, values: [r.value] };
      }
    }
    if (current) groups.set(`${key}|${current.start}`, current);
  }
  return summarise(groups);
}

/** Every pair (a, b) with equal keys and b.ts − a.ts ∈ [lowerMs, upperMs]. */
export function bruteForceIntervalJoin<A extends { key: number; ts: number }, B extends { key: number; ts: number }>(as: A[], bs: B[], lowerMs: number, upperMs: number): Array<[A, B]> {
  const pairs: Array<[A, B]> = [];
  for (const a of as) for (const b of bs) if (a.key === b.key && b.ts - a.ts >= lowerMs && b.ts - a.ts <= upperMs) pairs.push([a, b]);
  return pairs;
}
