import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Gives the Kafka test files of a run one real Kafka broker to share, started by the first of
    // them to need it and stopped when the run ends (test/kafka/shared-broker.ts).
    globalSetup: ['test/kafka/global-setup.ts'],
    // Two test files at a time: tests assert behaviour, not speed, so a file that shares the cores
    // with another passes as it does alone, and much of the suite waits on child processes and
    // timers (measured on the 2-core machine: 9.1 min against 11.1 min one file at a time).
    fileParallelism: true,
    maxWorkers: 2,
    minWorkers: 1,
    // The files a test process runs share its module cache: weir's modules are loaded once per
    // process, not once per file, and a job's threads, kept idle between jobs
    // (src/runtime/job/thread-pools.ts), serve the next file's jobs too. Loading weir's sources
    // in every new thread was most of the suite's CPU (measured on test/runtime + test/time:
    // 335 s → 158 s). Tests therefore leave no global state behind them.
    isolate: false,
    // A timeout is a watchdog against hangs, never a speed bound: tests assert behaviour and must
    // pass with both cores busy with other work, where a job runs many times slower (see
    // waitLimitMs in test/helpers.ts). Speed and latency targets live in native-bench/.
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
