import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests start real worker threads; on a 2-core machine running files in parallel only adds noise.
    fileParallelism: false,
    // A timeout is a watchdog against hangs, never a speed bound: tests assert behaviour and must
    // pass with both cores busy with other work, where a job runs many times slower (see
    // waitLimitMs in test/helpers.ts). Speed and latency targets live in native-bench/.
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
