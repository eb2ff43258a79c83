// mapAsync against an in-process "store": a lookup is a setTimeout of a few ms, as a request to a
// key-value store on another host would be. Each worker thread counts its own lookups in flight.
//
// Parameters: what ('order' default, 'timeout', 'retry', 'recovery'), ordered ('true' default),
// capacity, count (records per partition).
//  - order: two partitions of {p, seq, ts} with monotonous watermarks → mapAsync (delays vary, so
//    lookups settle out of order) → keyBy(p) → a process function that marks records that arrive
//    behind the watermark ("late") → collect('out'). Each output says how many lookups its worker
//    had in flight when it issued this one.
//  - timeout: the lookup of record 77 of partition 1 never settles (timeoutMs 30); onError param.
//  - retry: the first attempt of every tenth record's lookup rejects; retry attempts 3.
//  - lifecycle: the function is { open, map, close }: open makes a per-worker "client" and close
//    closes it, each writing a line to <log>/lifecycle.log; a lookup with a closed or missing
//    client fails; the lookup of record failAt (of partition 1) rejects, failing the job.
//  - recovery: generated events → mapAsync → a map that fails once at seq failAt (markers dir) →
//    an exactly-once file sink in `out` (run with checkpoints and restarts).
//  - recovery-keyed: the same with a keyBy after the mapAsync: its results cross an exchange, into
//    which the checkpoint's barrier may have gone before they settle.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineJob, WatermarkStrategy } from '../../src/api/index.ts';
import { collect, generator, transactionalFileSink, type GeneratedEvent } from '../../src/connectors/index.ts';
import { failsFirstTime } from './fails-first-time.ts';
import { listSource } from './list-source.ts';

export interface Row {
  p: number;
  seq: number;
  ts: number;
}

export interface Looked extends Row {
  /** Lookups this worker had in flight when it issued this one (itself included). */
  concurrent: number;
  attempts: number;
  late?: boolean;
}

const t0 = 1_700_000_000_000;
let inFlight = 0;
const attemptsOf = new Map<string, number>();

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The "store": answers after `delayMs`. */
async function lookup(row: Row, delayMs: number): Promise<Looked> {
  const id = `${row.p}/${row.seq}`;
  const attempts = (attemptsOf.get(id) ?? 0) + 1;
  attemptsOf.set(id, attempts);
  const concurrent = ++inFlight;
  try {
    await sleep(delayMs);
    return { ...row, concurrent, attempts };
  } finally {
    inFlight--;
  }
}

export default defineJob((env) => {
  const what = env.params.what ?? 'order';
  const count = env.numberParam('count', 500);
  const capacity = env.numberParam('capacity', 20);
  const ordered = env.params.ordered !== 'false';
  if (what === 'recovery' || what === 'recovery-keyed') {
    const failAt = env.numberParam('failAt', -1);
    const events = env.source(generator({ partitions: 2, count, keys: 100, seed: 9, ratePerSec: env.numberParam('rate', 20_000), eventTimeStartMs: t0, eventTimeStepMs: 1 }), {
      name: 'events',
      watermarks: WatermarkStrategy.monotonousTimestamps<GeneratedEvent>().withTimestampAssigner((e) => e.ts),
    });
    const enriched = events.mapAsync(async (e) => {
      await sleep(1 + (e.seq % 3));
      return `${e.key} ${e.seq} ${e.value}`;
    }, { name: 'enrich', capacity, ordered });
    (what === 'recovery-keyed' ? enriched.keyBy((line) => line.split(' ')[0], { name: 'by-key' }).process<string>((line, ctx) => ctx.emit(line), { name: 'keyed' }) : enriched)
      .map((line) => {
        if (Number(line.split(' ')[1]) === failAt && failsFirstTime(join(env.params.markers, 'fault'))) throw new Error(`injected failure at seq ${failAt}`);
        return line;
      }, { name: 'inject' })
      .sinkTo(transactionalFileSink<string>({ dir: env.params.out, format: (s) => s }));
    return;
  }
  const rows = [0, 1].map((p) => Array.from({ length: count }, (_, seq): Row => ({ p, seq, ts: t0 + seq })));
  const input = env.source(listSource(rows, { bounded: true }), {
    name: 'rows',
    watermarks: WatermarkStrategy.monotonousTimestamps<Row>().withTimestampAssigner((r) => r.ts),
  });
  const out = collect<Looked>('out');
  if (what === 'timeout') {
    input
      .mapAsync((r) => (r.p === 1 && r.seq === 77 ? new Promise<Looked>(() => {}) : lookup(r, 1)), { name: 'enrich', capacity, ordered, timeoutMs: 30, onError: env.params.onError === 'dead-letter' ? 'dead-letter' : 'fail' })
      .sinkTo(out);
    return;
  }
  if (what === 'lifecycle') {
    const failAt = env.numberParam('failAt', -1);
    const log = (line: string) => appendFileSync(join(env.params.log, 'lifecycle.log'), `${line}\n`);
    let client: { subtask: number; open: boolean } | undefined;
    input
      .mapAsync<Looked>(
        {
          open({ subtask }) {
            client = { subtask, open: true };
            log(`open ${subtask}`);
          },
          map(r) {
            if (!client?.open) throw new Error('lookup without an open client');
            if (r.p === 1 && r.seq === failAt) throw new Error(`the store refused ${r.p}/${r.seq}`);
            return lookup(r, 1);
          },
          close() {
            log(`close ${client!.subtask}`);
            client!.open = false;
          },
        },
        { name: 'enrich', capacity },
      )
      .sinkTo(out);
    return;
  }
  if (what === 'retry') {
    input
      .mapAsync(async (r) => {
        const looked = await lookup(r, 1);
        if (r.seq % 10 === 0 && looked.attempts === 1) throw new Error(`store unavailable for ${r.p}/${r.seq}`);
        return looked;
      }, { name: 'enrich', capacity, ordered, retry: { attempts: 3, backoffMs: 1 } })
      .sinkTo(out);
    return;
  }
  input
    .mapAsync((r) => lookup(r, r.seq % 7 === 0 ? 6 : r.seq % 3), { name: 'enrich', capacity, ordered })
    .keyBy((r) => r.p, { name: 'by-partition' })
    .process<Looked>((r, ctx) => ctx.emit({ ...r, late: ctx.timestampMs <= ctx.timerService.currentWatermark() }), { name: 'mark-late' })
    .sinkTo(out);
});
