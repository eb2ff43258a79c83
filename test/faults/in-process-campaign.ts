// The in-process half of the suite's fault campaign (throwing functions, dying threads), in two
// files of 5 runs each (faults.test.ts, faults-more.test.ts) so that they run side by side on the
// suite's two workers; each run fires 5 to 7 faults, so the suite fires at least 50. The SIGKILL
// runs are in faults-kill.test.ts.
import { expect, test } from 'vitest';
import { runFaultCampaign } from './campaign.ts';

export const inProcessRunsPerFile = 5;

/** One file's test: 5 in-process runs from `seed` (printed, so a failure can be replayed). */
export function inProcessFaultTest(seed: number): void {
  test(`fault injection in process: at least 25 faults, the committed output is exact (seed ${seed}; replay: npm run test:faults -- --seed ${seed} --runs ${inProcessRunsPerFile} --kill-runs 0)`, async () => {
    const results = await runFaultCampaign({ seed, runs: inProcessRunsPerFile, killRuns: 0, log: (line) => console.log(line) });
    const faults = results.reduce((n, r) => n + r.faults, 0);
    expect(faults).toBeGreaterThanOrEqual(25);
    expect(results.filter((r) => !r.exact)).toEqual([]);
  }, 900_000); // a watchdog: a busy machine can take many minutes over the campaign
}
