import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, expect } from 'revoke-mock/playwright';

// The page has an origin of its own on the loopback (a static server here,
// the dev server in a real project) and calls the mock cross-origin, as a
// frontend calls its API.
const app = new URL('../app/', import.meta.url);
let server: Server;
let appUrl: string;

test.beforeAll(async () => {
  server = createServer(async (req, res) => {
    const file = new URL(req.url || '/', 'http://x').pathname.slice(1) || 'index.html';
    try {
      const body = await readFile(new URL(file, app));
      res.writeHead(200, { 'Content-Type': file.endsWith('.js') ? 'text/javascript' : 'text/html' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

test.beforeEach(async ({ page, mock }) => {
  const { token } = await mock.sessions.create('alice');
  await page.addInitScript(([apiUrl, t]) => {
    localStorage.setItem('apiUrl', apiUrl);
    localStorage.setItem('token', t);
  }, [mock.url, token]);
  await page.goto(`${appUrl}/index.html`);
});

test('logs out everywhere: the page sent one authenticated POST', async ({ page, mock }) => {
  await page.getByRole('button', { name: 'Log out everywhere' }).click();
  await expect(page.getByRole('status')).toHaveText('Logged out on all devices');

  const sent = await mock.requests.list({ operation: 'post__sessions_revoke-all' });
  expect(sent).toHaveLength(1);
  expect(sent[0].method).toBe('POST');
  expect(sent[0].status).toBe(200);
  expect(sent[0].user).toBe('alice');
  expect(sent[0].headers).toContainEqual({ name: 'Authorization', value: expect.stringMatching(/^Bearer fp:/) });
});

test('a 500 says so and lets the user retry', async ({ page, mock }) => {
  await mock.scenarios.add({ status: 500, times: 1 });
  const button = page.getByRole('button', { name: 'Log out everywhere' });
  await button.click();
  await expect(page.getByRole('status')).toHaveText('Could not log out (error 500): try again');
  await button.click();
  await expect(page.getByRole('status')).toHaveText('Logged out on all devices');

  const sent = await mock.requests.list({ operation: 'post__sessions_revoke-all' });
  expect(sent.map((r) => r.status)).toEqual([200, 500]); // newest first
});

test('a slow answer disables the button while it waits', async ({ page, mock }) => {
  await mock.scenarios.add({ delay: '3s', times: 1 });
  const button = page.getByRole('button', { name: 'Log out everywhere' });
  await button.click();
  await expect(page.getByRole('status')).toHaveText('Logging out…');
  await expect(button).toBeDisabled();
  await expect(page.getByRole('status')).toHaveText('Logged out on all devices');
  await expect(button).toBeEnabled();

  const [sent] = await mock.requests.list({ operation: 'post__sessions_revoke-all' });
  expect(sent.durationMs).toBeGreaterThanOrEqual(3000);
});

test('a dropped connection is a network error, and nothing was revoked', async ({ page, mock }) => {
  await mock.scenarios.add({ fault: 'reset', status: 500, times: 1 });
  const button = page.getByRole('button', { name: 'Log out everywhere' });
  await button.click();
  await expect(page.getByRole('status')).toHaveText('No connection: check your network and try again');
  await button.click(); // the token still works
  await expect(page.getByRole('status')).toHaveText('Logged out on all devices');

  const sent = await mock.requests.list({ operation: 'post__sessions_revoke-all' });
  expect(sent).toHaveLength(2);
  expect(sent[1].scenario).toBeTruthy();
  expect(sent[1].decision).toContain('fault reset');
});
