import { expect, test } from 'vitest';
import { runFaultCampaign } from './campaign.ts';

// The seed changes every run and is printed, so a failure can be replayed:
//   npm run test:faults -- --seed <seed>
const seed = Number(process.env.WEIR_FAULT_SEED ?? Date.now() % 1_000_000);

test(`fault injection: at least 50 faults, the committed output is exact (seed ${seed})`, async () => {
  const results = await runFaultCampaign({ seed, runs: 10, killRuns: 2, killsPerRun: 2, log: (line) => console.log(line) });
  const faults = results.reduce((n, r) => n + r.faults, 0);
  expect(faults).toBeGreaterThanOrEqual(50);
  expect(results.filter((r) => !r.exact)).toEqual([]);
}, 900_000); // a watchdog: a busy machine can take many minutes over the campaign
