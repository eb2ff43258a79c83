import { inProcessFaultTest } from './in-process-campaign.ts';

// Five more in-process runs of the fault campaign (see faults.test.ts), under a seed of their own.
inProcessFaultTest(Number(process.env.WEIR_FAULT_SEED ?? (Date.now() + 500_000) % 1_000_000));
