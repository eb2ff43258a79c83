/**
 * `weir bench` with the load coming from Kafka (issue #6): while the bench job runs, a load
 * producer — a weir job of its own, kafka-load-job.ts, in its own threads — writes the bench job's
 * generator events into the topic at the fixed rate (open loop), and the bench job reads them with
 * its Kafka source. Each record carries its scheduled creation time (weir-created-ms), so the
 * end-to-end latency includes the producer, the broker and the fetch.
 *
 * The bench job names its load with loadSource(env.params, generatorOptions)
 * (src/connectors/load-source.ts): the harness builds the job graph once here to read those
 * options, and passes the topic and its current end offsets to the job (earlier runs' records are
 * skipped). A Kafka source is unbounded, so the run is stopped once the producer has finished and
 * the job has read everything it wrote.
 */
import { loadJob } from '../api/job.ts';
import { isLoadSource, kafkaLoadParam, type KafkaLoad } from '../connectors/load-source.ts';
import { kafkajs } from '../connectors/kafka/connection.ts';
import type { GeneratorOptions } from '../connectors/generator.ts';
import { WeirError } from '../errors.ts';
import { siblingModule } from '../util/module-url.ts';
import { run, toJobUrl, type JobHandle, type JobResult } from '../runtime/job/run.ts';

export interface KafkaLoadTarget {
  brokers: string[];
  topic: string;
}

const loaderJob = siblingModule('./kafka-load-job', import.meta.url);
/** How long after the producer finished the job may take to read the rest before the run fails. */
const drainTimeoutMs = 60_000;

export interface PreparedKafkaLoad {
  /** The bench job's parameters, plus where to read its load. */
  params: Record<string, string>;
  /** Starts the producer; `finish` waits for it and for the job to read everything, then stops the job. */
  start(job: JobHandle): Promise<{ finish(): Promise<JobResult> }>;
}

export async function prepareKafkaLoad(job: string | URL, params: Record<string, string>, target: KafkaLoadTarget): Promise<PreparedKafkaLoad> {
  const { env } = await loadJob(toJobUrl(job), params);
  const sources = env.graph.nodes.filter((n) => n.kind === 'source' && isLoadSource(n.spec));
  if (sources.length !== 1) {
    throw new WeirError('WEIR_CONFIG', `bench with Kafka: the job must build exactly one source with loadSource(env.params, generatorOptions) (it has ${sources.length})`);
  }
  const source = sources[0] as (typeof sources)[0] & { kind: 'source' };
  const load = (source.spec as unknown as { load: GeneratorOptions }).load;
  const admin = new (kafkajs().Kafka)({ brokers: target.brokers, clientId: 'weir-bench', logLevel: kafkajs().logLevel.NOTHING }).admin();
  let offsets: Record<number, number>;
  try {
    await admin.connect();
    offsets = Object.fromEntries((await admin.fetchTopicOffsets(target.topic)).map((p) => [p.partition, Number(p.high)]));
  } catch (err) {
    throw new WeirError('WEIR_CONFIG', `bench with Kafka: cannot read the offsets of topic ${target.topic}: ${(err as Error).message}`, { cause: err });
  } finally {
    await admin.disconnect().catch(() => {});
  }
  const kafkaLoad: KafkaLoad = { brokers: target.brokers, topic: target.topic, partitions: Object.keys(offsets).length, offsets };
  return {
    params: { ...params, [kafkaLoadParam]: JSON.stringify(kafkaLoad) },
    async start(handle: JobHandle) {
      const loader = await run(loaderJob, {
        parallelism: load.partitions ?? 2,
        params: { load: JSON.stringify(load), kafka: JSON.stringify(target) },
      });
      return {
        async finish(): Promise<JobResult> {
          let produced: number;
          try {
            const loaded = await loader.done;
            produced = [loaded.results['kafka-load']].flat().reduce((sum: number, r) => sum + ((r as { records?: number })?.records ?? 0), 0);
          } catch (err) {
            await handle.stop().catch(() => {});
            throw err;
          }
          const deadline = Date.now() + drainTimeoutMs;
          const read = () => handle.metrics().operators.find((o) => o.name === source.name)?.recordsOut ?? 0;
          while (read() < produced) {
            if (Date.now() > deadline) {
              await handle.stop().catch(() => {});
              throw new WeirError('WEIR_SOURCE', `bench with Kafka: the job read ${read()} of the ${produced} records produced within ${drainTimeoutMs} ms`);
            }
            await Promise.race([new Promise((r) => setTimeout(r, 10)), handle.done.catch(() => {})]);
          }
          return handle.stop();
        },
      };
    },
  };
}
