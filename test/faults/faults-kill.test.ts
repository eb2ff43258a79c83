import { expect, test } from 'vitest';
import { runFaultCampaign } from './campaign.ts';

// The SIGKILL part of the suite's fault campaign (in-process-campaign.ts has the other runs): the
// whole weir process killed twice at random moments in each of two runs, then resumed from its
// state dir. The seed changes every run and is printed, so a failure can be replayed:
//   npm run test:faults -- --seed <seed> --runs 0 --kill-runs 2
const seed = Number(process.env.WEIR_FAULT_SEED ?? Date.now() % 1_000_000);

test(`fault injection by SIGKILL: the process killed while it runs, the committed output is exact (seed ${seed})`, async () => {
  const results = await runFaultCampaign({ seed, runs: 0, killRuns: 2, killsPerRun: 2, log: (line) => console.log(line) });
  expect(results).toHaveLength(2);
  expect(results.filter((r) => !r.exact)).toEqual([]);
}, 900_000); // a watchdog: a busy machine can take many minutes over the campaign
