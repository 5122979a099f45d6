import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { setupServer } from 'msw/node';
import { createHandlers } from 'revoke-mock/msw';
import { logoutEverywhere } from '../app/logout.js';

// In-process: no server, no port. The API's URL is whatever the app uses.
const api = 'https://backend.flashback.tech';
const mock = createHandlers({ sessions: 'issued' });
const server = setupServer(...mock.handlers);

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
beforeEach(() => mock.reset());
afterAll(() => server.close());

it('revokes every session of the user, as the Go mock does', async () => {
  const phone = await mock.sessions.create('alice');
  const laptop = await mock.sessions.create('alice');
  expect(await logoutEverywhere(api, phone.token)).toEqual({ kind: 'done', message: 'All sessions revoked successfully' });
  expect(await logoutEverywhere(api, laptop.token)).toEqual({ kind: 'expired' });
});

it('answers the arranged 500, then the default again', async () => {
  const { token } = await mock.sessions.create('alice');
  await mock.scenarios.add({ status: 500, times: 1 });
  expect(await logoutEverywhere(api, token)).toEqual({ kind: 'failed', status: 500 });
  expect(await logoutEverywhere(api, token)).toEqual({ kind: 'done', message: 'All sessions revoked successfully' });
});

it('drops the connection', async () => {
  const { token } = await mock.sessions.create('alice');
  await mock.scenarios.add({ fault: 'reset', times: 1 });
  expect(await logoutEverywhere(api, token)).toEqual({ kind: 'offline' });
});

it('challenges a request without a token as the Go mock does', async () => {
  const res = await fetch(`${api}/sessions/revoke-all`, { method: 'POST' });
  expect(res.status).toBe(401);
  expect(res.headers.get('WWW-Authenticate')).toBe('Bearer realm="flashback"');
  expect(await res.json()).toEqual({ success: false, error: 'Authentication required' });
});
