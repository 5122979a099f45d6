import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';

// The handlers served over HTTP (msw/server.cjs, what the suite checks in
// CI): a fault drops the connection and the server lives on. (The fault's
// answer is the 500: with the default 200 the token would be revoked, the
// client having heard nothing, as the Go mock does.)
let server: ChildProcess;
let url: string;

beforeAll(async () => {
  server = spawn(process.execPath, [fileURLToPath(new URL('./server.cjs', import.meta.url)), '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('msw/server.cjs did not say where it listens within 10 s')), 10_000);
    let out = '';
    server.stdout?.on('data', (chunk) => {
      out += chunk;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    server.on('exit', (code) => reject(new Error(`msw/server.cjs exited with ${code}`)));
  });
});
afterAll(() => {
  server?.kill();
});

it('drops the connection for a fault, and keeps serving', async () => {
  const { token } = await (await fetch(`${url}/__mock/sessions`, { method: 'POST', body: JSON.stringify({ user: 'alice' }) })).json();
  const added = await fetch(`${url}/__mock/scenarios`, { method: 'POST', body: JSON.stringify({ operation: 'post__sessions_revoke-all', status: 500, fault: 'reset', times: 1 }) });
  expect(added.status).toBe(201);
  const revoke = () => fetch(`${url}/sessions/revoke-all`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
  await expect(revoke()).rejects.toThrow(/fetch failed/);
  expect((await revoke()).status).toBe(200);
  expect(server.exitCode).toBeNull();
});
