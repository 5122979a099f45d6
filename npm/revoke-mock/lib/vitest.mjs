// revoke-mock/vitest: useMock() gives a test file the client of the mock
// the global setup (revoke-mock/vitest/setup) started, and resets it
// before each test. Test files run in parallel share that one mock: a
// reset in one file clears the others' sessions, so either keep
// fileParallelism: false, or pass { reset: false } and give each file
// users of its own.
import { beforeEach, inject } from 'vitest';
import { connectMock } from './index.mjs';

/** @param {{ reset?: boolean }} [options] */
export function useMock(options = {}) {
  const info = /** @type {any} */ (inject)('revokeMock');
  if (!info || !info.url) {
    throw new Error('useMock: no mock is running: add "revoke-mock/vitest/setup" (or a mockGlobalSetup of your own) to test.globalSetup in vitest.config');
  }
  const client = connectMock(info.url, { controlToken: info.controlToken });
  if (options.reset !== false) beforeEach(() => client.reset());
  return client;
}
