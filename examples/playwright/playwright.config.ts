import { defineConfig } from '@playwright/test';

// Debian's Chromium: Playwright's own browser download is not used
// (PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1). CHROMIUM names another binary.
export default defineConfig({
  testDir: '.',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  workers: 2,
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
