import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['vitest/**/*.test.ts', 'msw/**/*.test.ts'],
    // One mock for the whole run, stopped at its end.
    globalSetup: ['revoke-mock/vitest/setup'],
    // The test files share that mock and useMock() resets it before each
    // test: files one after the other.
    fileParallelism: false,
    testTimeout: 15_000,
  },
});
