import { describe, expect, it } from 'vitest';
import { useMock } from 'revoke-mock/vitest';
import { logoutEverywhere } from '../app/logout.js';

const mock = useMock();

describe('logoutEverywhere against revoke-mock', () => {
  it('revokes every session of the user', async () => {
    const phone = await mock.sessions.create('alice');
    const laptop = await mock.sessions.create('alice');
    expect(await logoutEverywhere(mock.url, phone.token)).toEqual({ kind: 'done', message: 'All sessions revoked successfully' });
    expect(await logoutEverywhere(mock.url, laptop.token)).toEqual({ kind: 'expired' });
  });

  it('reports a 500', async () => {
    const { token } = await mock.sessions.create('alice');
    await mock.scenarios.add({ status: 500, times: 1 });
    expect(await logoutEverywhere(mock.url, token)).toEqual({ kind: 'failed', status: 500 });
    const [sent] = await mock.requests.list({ status: 500 });
    expect(sent.decision).toContain('example 500/server_error');
  });

  it('gives up on a slow answer after its timeout', async () => {
    const { token } = await mock.sessions.create('alice');
    await mock.scenarios.add({ delay: '5s', times: 1 });
    expect(await logoutEverywhere(mock.url, token, { timeoutMs: 300 })).toEqual({ kind: 'offline' });
  });

  it('reports a dropped connection', async () => {
    const { token } = await mock.sessions.create('alice');
    await mock.scenarios.add({ fault: 'close', times: 1 });
    expect(await logoutEverywhere(mock.url, token)).toEqual({ kind: 'offline' });
  });

  it('starts each test with a clean mock', async () => {
    expect(await mock.scenarios.list()).toEqual([]);
    expect(await mock.requests.list()).toEqual([]);
  });
});
