/**
 * The job `weir bench --replay` runs: the user's job unchanged, except that every source it builds
 * is read open-loop at the offered rate (replay-source.ts). The rate (parameter weir.replay) is
 * shared evenly by all partitions of all sources.
 *
 * Every thread imports a job by URL and builds it, so the replaying job is a module of its own: a
 * three-line file written for the run (replayJobModule) that imports the user's job and this
 * module, and exports replayJob(theirs).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defineJob, type JobDefinition, StreamEnv } from '../api/job.ts';
import type { SourceSpec } from '../connectors/types.ts';
import { WeirError } from '../errors.ts';
import { replayParam, replaySource, type ReplayParam } from './replay-source.ts';

export function replayJob(user: JobDefinition): JobDefinition {
  return defineJob((env) => {
    const raw = env.params[replayParam];
    if (raw === undefined) throw new WeirError('WEIR_CONFIG', `a replayed job needs the parameter ${replayParam}`);
    const replay = JSON.parse(raw) as ReplayParam;
    const specs: Array<SourceSpec<unknown>> = [];
    // The partitions of all sources are known once the job is built; partitions open after that.
    const schedule = () => {
      const partitions = specs.reduce((sum, s) => sum + s.partitions(), 0);
      return { ratePerPartitionPerSec: replay.ratePerSec / partitions, seconds: replay.seconds };
    };
    const replaying = Object.create(env) as StreamEnv;
    replaying.source = (spec, options) => {
      specs.push(spec as SourceSpec<unknown>);
      return env.source(replaySource(spec, schedule), options);
    };
    user.build(replaying);
  }, user.settings);
}

/** Writes the module of the replaying job for `jobUrl`; remove() deletes it after the runs. */
export function replayJobModule(jobUrl: string): { url: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'weir-replay-'));
  const file = join(dir, 'replay-job.mjs');
  const self = new URL(import.meta.url);
  self.search = '';
  writeFileSync(
    file,
    `// The job ${jobUrl}, its sources replayed open-loop by weir bench --replay.\n` +
      `import job from ${JSON.stringify(jobUrl)};\nimport { replayJob } from ${JSON.stringify(self.href)};\nexport default replayJob(job);\n`,
  );
  return { url: pathToFileURL(file).href, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
