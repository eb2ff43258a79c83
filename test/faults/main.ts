// npm run test:faults -- [--runs N] [--kill-runs N] [--seed S]: the long fault-injection campaign.
import { parseArgs } from 'node:util';
import { runFaultCampaign } from './campaign.ts';

const { values } = parseArgs({ options: { runs: { type: 'string' }, 'kill-runs': { type: 'string' }, seed: { type: 'string' } } });
const seed = Number(values.seed ?? Date.now() % 1_000_000);
const results = await runFaultCampaign({ seed, runs: Number(values.runs ?? 50), killRuns: Number(values['kill-runs'] ?? 10), log: (line) => console.log(line) });
const wrong = results.filter((r) => !r.exact);
const faults = results.reduce((n, r) => n + r.faults, 0);
console.log(`${results.length} runs, ${faults} faults, ${wrong.length} with wrong output (seed ${seed})`);
process.exit(wrong.length === 0 ? 0 : 1);
