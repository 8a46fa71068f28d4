import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // One profileflow per test file is cheap (about 20 ms, docs/performance.md); files run in parallel.
    include: ['*.test.ts'],
    testTimeout: 30_000,
  },
});
