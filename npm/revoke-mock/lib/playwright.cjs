'use strict';
// revoke-mock/playwright: a Playwright test with a `mock` fixture. One mock
// per worker (started with the worker, stopped with it), reset before each
// test, so every test starts with no sessions, scenarios or journal.
//
//   const { test, expect } = require('revoke-mock/playwright');
//   test.use({ mockOptions: { sessions: 'issued' } });   // optional
//   test('...', async ({ page, mock }) => { ... });
const { test: base, expect } = require('@playwright/test');
const { startMock } = require('./index.cjs');

/** @param {import('./index').MockOptions} [defaults] */
function mockTest(defaults = {}) {
  // The fixtures' types are playwright.d.ts's MockTest.
  return base.extend(/** @type {any} */ ({
    mockOptions: [defaults, { option: true, scope: 'worker' }],
    mockServer: [async ({ mockOptions }, use) => {
      const mock = await startMock(mockOptions);
      try {
        await use(mock);
      } finally {
        await mock.stop();
      }
    }, { scope: 'worker', timeout: 30000 }],
    mock: async ({ mockServer }, use) => {
      await mockServer.reset();
      await use(mockServer);
    },
  }));
}

const test = mockTest();

module.exports = { test, expect, mockTest };
