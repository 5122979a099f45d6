// The types of revoke-mock/playwright.
import type {
  PlaywrightTestArgs, PlaywrightTestOptions, PlaywrightWorkerArgs, PlaywrightWorkerOptions, TestType,
} from '@playwright/test';
import type { Mock, MockOptions } from './index';

export { expect } from '@playwright/test';

/** The fixture each test gets: the worker's mock, just reset. */
export interface MockFixtures {
  mock: Mock;
}

/** The worker's fixtures: startMock's options (test.use({ mockOptions })) and the running mock. */
export interface MockWorkerFixtures {
  mockOptions: MockOptions;
  mockServer: Mock;
}

export type MockTest = TestType<PlaywrightTestArgs & PlaywrightTestOptions & MockFixtures,
  PlaywrightWorkerArgs & PlaywrightWorkerOptions & MockWorkerFixtures>;

/** Playwright's test with the mock fixtures (default options). */
export const test: MockTest;

/** Playwright's test with the mock fixtures, started with these options by default. */
export function mockTest(defaults?: MockOptions): MockTest;
