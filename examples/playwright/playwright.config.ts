import { defineConfig } from '@playwright/test';

// Debian's Chromium: Playwright's own browser download is not used
// (PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1). CHROMIUM names another binary.
export default defineConfig({
  testDir: '.',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  workers: 2,
  // Each worker has a mock of its own (revoke-mock/playwright), so tests can
  // run in parallel: a reset in one worker touches no other.
  fullyParallel: true,
  retries: 0,
  reporter: 'list',
  use: {
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    },
  },
});
