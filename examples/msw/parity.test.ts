import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { setupServer } from 'msw/node';
import { startMock, type Mock } from 'revoke-mock';
import { createHandlers, type MockHandlers } from 'revoke-mock/msw';

// The same requests to the Go mock (--sessions issued) and to the MSW
// handlers: the same status, the same headers that matter, the same body.
// MSW answers only its own origin here; the Go mock's requests pass.
const mswUrl = 'http://msw.test';
const handlers = createHandlers({ sessions: 'issued', baseUrl: mswUrl });
const server = setupServer(...handlers.handlers);
let goMock: Mock;

beforeAll(async () => {
  server.listen({ onUnhandledRequest: 'bypass' });
  goMock = await startMock({ sessions: 'issued' });
});
afterAll(async () => {
  server.close();
  await goMock?.stop();
});
beforeEach(async () => {
  await goMock.reset();
  await handlers.reset();
});

const compared = ['content-type', 'cache-control', 'www-authenticate', 'allow', 'preference-applied', 'mock-scenario', 'vary',
  'access-control-allow-origin', 'access-control-allow-credentials', 'access-control-expose-headers',
  'access-control-allow-methods', 'access-control-allow-headers', 'access-control-max-age'];

async function answer(res: Response) {
  const headers: Record<string, string> = {};
  for (const h of compared) {
    const v = res.headers.get(h);
    if (v !== null) headers[h] = v;
  }
  const text = await res.text();
  return { status: res.status, headers, body: text ? JSON.parse(text) : null };
}

type Side = { url: string; mint: (user: string) => Promise<string>; scenario: (s: object) => Promise<unknown> };
const sides = (): Side[] => [
  { url: goMock.url, mint: async (u) => (await goMock.sessions.create(u)).token, scenario: (s) => goMock.scenarios.add(s) },
  { url: mswUrl, mint: async (u) => (await handlers.sessions.create(u)).token, scenario: (s) => handlers.scenarios.add(s) },
];

// Each case runs on both sides with tokens of that side.
const cases: { name: string; run: (side: Side) => Promise<Response> }[] = [
  { name: 'no credentials', run: (s) => post(s.url, {}) },
  { name: 'Basic', run: (s) => post(s.url, { Authorization: 'Basic YWxpY2U6cHc=' }) },
  { name: 'Token scheme', run: async (s) => post(s.url, { Authorization: `Token ${await s.mint('alice')}` }) },
  { name: 'empty Bearer', run: (s) => post(s.url, { Authorization: 'Bearer' }) },
  { name: 'malformed token', run: (s) => post(s.url, { Authorization: 'Bearer a,b' }) },
  { name: 'unknown token', run: (s) => post(s.url, { Authorization: 'Bearer unknown-token-0123456789' }) },
  { name: 'valid token', run: async (s) => post(s.url, { Authorization: `Bearer ${await s.mint('alice')}` }) },
  { name: 'lower-case scheme', run: async (s) => post(s.url, { Authorization: `bearer ${await s.mint('alice')}` }) },
  {
    name: 'revoked by another device',
    run: async (s) => {
      const [a, b] = [await s.mint('alice'), await s.mint('alice')];
      await post(s.url, { Authorization: `Bearer ${a}` });
      return post(s.url, { Authorization: `Bearer ${b}` });
    },
  },
  { name: 'Prefer: code=500', run: async (s) => post(s.url, { Authorization: `Bearer ${await s.mint('alice')}`, Prefer: 'code=500' }) },
  { name: 'Prefer: example=missing_token', run: async (s) => post(s.url, { Authorization: `Bearer ${await s.mint('alice')}`, Prefer: 'example=missing_token' }) },
  { name: 'Prefer: code=418', run: async (s) => post(s.url, { Authorization: `Bearer ${await s.mint('alice')}`, Prefer: 'code=418' }) },
  { name: 'Prefer: delay=soon', run: async (s) => post(s.url, { Authorization: `Bearer ${await s.mint('alice')}`, Prefer: 'delay=soon' }) },
  { name: 'GET', run: async (s) => fetch(`${s.url}/sessions/revoke-all`, { headers: { Authorization: `Bearer ${await s.mint('alice')}` } }) },
  { name: 'OPTIONS', run: (s) => fetch(`${s.url}/sessions/revoke-all`, { method: 'OPTIONS' }) },
  {
    name: 'CORS preflight',
    run: (s) => fetch(`${s.url}/sessions/revoke-all`, {
      method: 'OPTIONS', headers: { Origin: 'http://app.test', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization' },
    }),
  },
  { name: 'CORS on a 200', run: async (s) => post(s.url, { Authorization: `Bearer ${await s.mint('alice')}`, Origin: 'http://app.test' }) },
  {
    name: 'a scenario: the 500 once',
    run: async (s) => {
      await s.scenario({ operation: 'post__sessions_revoke-all', status: 500, times: 1 });
      return post(s.url, { Authorization: `Bearer ${await s.mint('alice')}` });
    },
  },
  {
    name: 'a scenario for another user',
    run: async (s) => {
      await s.scenario({ operation: 'post__sessions_revoke-all', status: 500, user: 'bob' });
      return post(s.url, { Authorization: `Bearer ${await s.mint('alice')}` });
    },
  },
];

function post(url: string, headers: Record<string, string>) {
  return fetch(`${url}/sessions/revoke-all`, { method: 'POST', headers });
}

describe('the MSW handlers answer as the Go mock', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const [goSide, mswSide] = sides();
      const fromGo = await answer(await c.run(goSide));
      await goMock.reset();
      const fromMsw = await answer(await c.run(mswSide));
      expect(fromMsw).toEqual(fromGo);
    });
  }

  it('refuses the same scenarios, naming the same field', async () => {
    for (const bad of [{ status: 418 }, { fault: 'explode' }, { delay: '2 days' }, { times: 0 }, { operation: 'nope' }]) {
      const body = { operation: 'post__sessions_revoke-all', ...bad };
      const res = [goMock.url, mswUrl].map((u) => fetch(`${u}/__mock/scenarios`, { method: 'POST', body: JSON.stringify(body) }));
      const [fromGo, fromMsw] = await Promise.all(res.map(async (r) => answer(await r)));
      expect(fromMsw.status, JSON.stringify(bad)).toBe(fromGo.status);
      expect(fromMsw.body.type).toBe(fromGo.body.type);
      expect(fromMsw.body.errors.map((e: { field: string }) => e.field)).toEqual(fromGo.body.errors.map((e: { field: string }) => e.field));
    }
  });
});

describe('lazy sessions: a JWT belongs to its userId claim', () => {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const jwt = (claims: object) => `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}.c2lnbmF0dXJl`;
  let lazy: MockHandlers;
  const lazyUrl = 'http://lazy.msw.test';

  beforeAll(() => {
    lazy = createHandlers({ baseUrl: lazyUrl });
    server.use(...lazy.handlers);
  });

  it('revokes the other JWTs of the same user only', async () => {
    // A lazy session starts at its first use: the second device is seen
    // (a 500 that revokes nothing) before the first one logs out.
    const [ann1, ann2, ben] = [jwt({ userId: 'ann', n: 1 }), jwt({ userId: 'ann', n: 2 }), jwt({ sub: 'ben' })];
    const statuses = async (url: string) => {
      const out = [(await post(url, { Authorization: `Bearer ${ann2}`, Prefer: 'code=500' })).status];
      for (const t of [ann1, ann2, ben, ann1]) out.push((await post(url, { Authorization: `Bearer ${t}` })).status);
      return out;
    };
    const lazyGo = await startMock({ sessions: 'lazy' });
    try {
      expect(await statuses(lazyGo.url)).toEqual([500, 200, 401, 200, 401]);
    } finally {
      await lazyGo.stop();
    }
    expect(await statuses(lazyUrl)).toEqual([500, 200, 401, 200, 401]);
  });
});
