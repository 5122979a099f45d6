// The types of revoke-mock/msw: MSW 2.x handlers with the mock's semantics.
import type { HttpHandler } from 'msw';
import type { JournalEntry, JournalFilter, Scenario, ScenarioInput, Session } from './index.js';

export interface HandlersOptions {
  /** As revoke-mock --sessions: off, lazy (the default) or issued. */
  sessions?: 'off' | 'lazy' | 'issued';
  /** Where the API lives, such as "https://backend.flashback.tech" or "/api"; default "*": any origin. */
  baseUrl?: string;
  /** As --latency: ms, "300ms", "100ms..800ms" or [100, 800]. */
  latency?: number | string | [number, number];
  /** The realm of the 401 challenge (default "flashback", as the Go mock). */
  realm?: string;
  /** Sessions that exist from the start and after every reset. */
  seed?: Session[];
  /** Requests kept by requests.list() (default 1000; 0: none). */
  journalSize?: number;
  /** As --cors-origins (default: every origin, echoed). */
  corsOrigins?: string | string[];
}

/** One in-process mock: its handlers and the same API as startMock's client. */
export interface MockHandlers {
  /** Pass them to setupServer(...) or setupWorker(...), or to @mswjs/http-middleware. */
  handlers: HttpHandler[];
  reset(): Promise<void>;
  sessions: {
    create(user: string): Promise<Session>;
    list(): Promise<{ mode: string; users: { user: string; sessions: number }[] }>;
  };
  scenarios: {
    add(scenario: ScenarioInput): Promise<Scenario>;
    list(): Promise<Scenario[]>;
    delete(id: string): Promise<void>;
    clear(): Promise<void>;
  };
  requests: {
    list(filter?: JournalFilter): Promise<JournalEntry[]>;
    clear(): Promise<void>;
  };
}

export function createHandlers(options?: HandlersOptions): MockHandlers;

/**
 * Connect/Express middleware to put before @mswjs/http-middleware's
 * createMiddleware(...handlers): a fault (an MSW network error) drops the
 * connection instead of crashing the server.
 */
export function dropNetworkErrors(): (req: any, res: any, next: () => void) => void;
