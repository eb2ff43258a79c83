// Broadcast state: a one-partition rule source (it resumes from its checkpointed position), broadcast
// to every worker beside generated events keyed by key. processBroadcastElement stores each rule
// and reports it ("rule <worker> <id>"); processElement reads the threshold rule
// ("<key> <seq> <value> <threshold|none>"). A map after it fails once at seq failAt (markers dir).
// Parameters: count, rate, failAt, markers, out (an exactly-once file sink; else collect('out')).
// keyed=0: the events are not keyed (a BroadcastProcessFunction, each event on the worker that
// read it), and badSeq=N makes processElement throw on events of seq N (onError dead-letter; the
// dead letters are collect('dlq')).
import { join } from 'node:path';
import { defineJob, type BroadcastContext } from '../../src/api/index.ts';
import { collect, generator, transactionalFileSink } from '../../src/connectors/index.ts';
import { END, type SourceSpec } from '../../src/connectors/types.ts';
import { failsFirstTime } from './fails-first-time.ts';

interface Rule {
  id: string;
  value: number;
}

const rules: Rule[] = [
  { id: 'threshold', value: 500 },
  { id: 'factor', value: 3 },
];

/** The rules, one partition, resuming after the last one a checkpoint saw read. */
const ruleSource: SourceSpec<Rule> = {
  kind: 'rules',
  partitions: () => 1,
  open(_partition, _ctx, from) {
    let next = typeof from === 'number' ? from : 0;
    return {
      poll(max, out) {
        if (next >= rules.length) return END;
        out.emit(rules[next], next, NaN, performance.timeOrigin + performance.now());
        next++;
        return 1;
      },
      position: () => next,
      close() {},
    };
  },
};

export default defineJob((env) => {
  const failAt = env.numberParam('failAt', -1);
  const ruleStream = env.source(ruleSource, { name: 'rules' }).broadcast({ name: 'to-every-worker' });
  const events = env.source(generator({ partitions: 2, count: env.numberParam('count', 4000), keys: 20, seed: 4, ratePerSec: env.numberParam('rate', 20_000) }), { name: 'events' });
  const out = env.params.out ? transactionalFileSink<string>({ dir: env.params.out, format: (s) => s }) : collect<string>('out');
  const processBroadcastElement = (rule: Rule, ctx: BroadcastContext<string>) => {
    ctx.broadcastState<string, number>('rules').put(rule.id, rule.value);
    ctx.emit(`rule ${ctx.subtask} ${rule.id}`);
  };
  const badSeq = env.numberParam('badSeq', -1);
  const applied =
    env.params.keyed === '0'
      ? events.connect(ruleStream).process<string>(
          {
            processBroadcastElement,
            processElement(e, ctx) {
              if (e.seq === badSeq) throw new Error(`bad event ${e.seq}`);
              ctx.emit(`${e.key} ${e.seq} ${e.value} ${ctx.broadcastState<string, number>('rules').get('threshold') ?? 'none'}`);
            },
          },
          { name: 'apply-rules', onError: badSeq >= 0 ? 'dead-letter' : undefined },
        )
      : events
          .keyBy((e) => e.key, { name: 'by-key' })
          .connect(ruleStream)
          .process<string>(
            {
              processBroadcastElement,
              processElement(e, ctx) {
                ctx.emit(`${e.key} ${e.seq} ${e.value} ${ctx.broadcastState<string, number>('rules').get('threshold') ?? 'none'}`);
              },
            },
            { name: 'apply-rules' },
          );
  if (badSeq >= 0) env.deadLetterTo(collect('dlq'));
  applied
    .map((line) => {
      if (!line.startsWith('rule') && Number(line.split(' ')[1]) === failAt && failsFirstTime(join(env.params.markers, 'fault'))) throw new Error(`injected failure at seq ${failAt}`);
      return line;
    }, { name: 'inject' })
    .sinkTo(out);
});
