// The types of revoke-mock/vitest.
import type { MockClient } from './index';

declare module 'vitest' {
  export interface ProvidedContext {
    revokeMock: { url: string; controlToken?: string };
  }
}

/** The mock the global setup started; reset before each test unless reset is false. */
export function useMock(options?: { reset?: boolean }): MockClient;
