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
    // A timeout is a watchdog against hangs, never a speed bound: tests assert behaviour and must
    // pass with both cores busy with other work, where a job runs many times slower (see
    // waitLimitMs in test/helpers.ts). Speed and latency targets live in native-bench/.
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
