import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Native code and process-wide behaviour: each test file in its own process.
    pool: 'forks',
    // Two cores, and snapshots are CPU- and memory-heavy: don't run too many files at once.
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
