// The types of revoke-mock/vitest/setup.
import type { MockOptions } from './index';

type Setup = (project: { provide: (key: any, value: any) => void }) => Promise<() => Promise<void>>;

/** A global setup that starts the mock with these options. */
export function mockGlobalSetup(options?: MockOptions): Setup;

declare const setup: Setup;
export default setup;
