import { inProcessFaultTest } from './in-process-campaign.ts';

// Five in-process runs of the fault campaign (five more in faults-more.test.ts, under another
// seed). The seed changes every run; WEIR_FAULT_SEED sets it.
inProcessFaultTest(Number(process.env.WEIR_FAULT_SEED ?? Date.now() % 1_000_000));
