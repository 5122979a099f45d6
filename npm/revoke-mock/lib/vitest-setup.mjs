// revoke-mock/vitest/setup: a Vitest global setup that starts one mock for
// the whole run and stops it at the end; tests reach it with useMock()
// from revoke-mock/vitest. In vitest.config:
//
//   test: { globalSetup: ['revoke-mock/vitest/setup'] }
//
// For other options, a setup file of your own:
//
//   import { mockGlobalSetup } from 'revoke-mock/vitest/setup';
//   export default mockGlobalSetup({ sessions: 'issued' });
//
// It does not import vitest: global setup runs outside the test workers.
import { startMock } from './index.mjs';

/** @param {import('./index.js').MockOptions} [options] */
export function mockGlobalSetup(options = {}) {
  /** @param {{ provide: (key: string, value: unknown) => void }} project */
  return async function setup(project) {
    const mock = await startMock(options);
    project.provide('revokeMock', { url: mock.url, controlToken: options.controlToken });
    return async () => {
      await mock.stop();
    };
  };
}

export default mockGlobalSetup();
