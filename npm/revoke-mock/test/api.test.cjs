'use strict';
// The JS API's own tests (node --test; no npm dependency): run by
// tools/jsgen's TestJSAPI in make test, with REVOKE_MOCK_BINARY set to the
// freshly built binary.
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { test } = require('node:test');
const { startMock, connectMock, mockArgs } = require('../lib/index.cjs');

const binary = process.env.REVOKE_MOCK_BINARY;
if (!binary) throw new Error('set REVOKE_MOCK_BINARY to a revoke-mock binary');

/** @param {number} pid */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid, ms = 10000) {
  const deadline = Date.now() + ms;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

test('port 0: a free port, told back; the control API works; stop() ends the child', async () => {
  const mock = await startMock({ sessions: 'issued' });
  try {
    assert.match(mock.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(mock.port > 0);
    assert.equal(mock.url, `http://127.0.0.1:${mock.port}`);
    assert.equal((await mock.health()).status, 'ok');
    const phone = await mock.sessions.create('alice');
    const laptop = await mock.sessions.create('alice');
    const post = (token) => fetch(`${mock.url}/sessions/revoke-all`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
    assert.equal((await post(phone.token)).status, 200);
    assert.equal((await post(laptop.token)).status, 401);
    const sc = await mock.scenarios.add({ status: 500, times: 1, delay: 5 });
    assert.equal(sc.delay, '5ms');
    assert.deepEqual((await mock.scenarios.list()).map((s) => s.id), [sc.id]);
    const fresh = await mock.sessions.create('bob');
    assert.equal((await post(fresh.token)).status, 500);
    const sent = await mock.requests.list({ status: 500 });
    assert.equal(sent.length, 1);
    assert.equal(sent[0].scenario, sc.id);
    assert.doesNotMatch(JSON.stringify(await mock.requests.list()), new RegExp(fresh.token));
    await mock.reset();
    assert.deepEqual(await mock.requests.list(), []);
    assert.deepEqual(await mock.scenarios.list(), []);
  } finally {
    await mock.stop();
  }
  assert.notEqual(mock.process.exitCode === null && mock.process.signalCode === null, true, 'the child still runs');
  await assert.rejects(mock.health(), /REVOKE_MOCK_UNREACHABLE|ECONNREFUSED|fetch failed|revoke-mock: GET/);
  await mock.stop(); // twice is fine
});

test('a control call the mock refuses says why', async () => {
  const mock = await startMock();
  try {
    await assert.rejects(mock.scenarios.add({ status: 418 }), (err) => {
      assert.equal(err.code, 'REVOKE_MOCK_CONTROL');
      assert.match(err.message, /answered 400/);
      assert.match(err.message, /available: 200, 401, 500/);
      return true;
    });
    await assert.rejects(mock.sessions.create(''), TypeError);
  } finally {
    await mock.stop();
  }
});

test('a missing binary is a clear error', async () => {
  await assert.rejects(startMock({ binary: path.join(os.tmpdir(), 'no-such-revoke-mock') }), (err) => {
    assert.equal(err.code, 'REVOKE_MOCK_BINARY_MISSING');
    assert.match(err.message, /does not exist/);
    return true;
  });
});

test('without the platform package (and no REVOKE_MOCK_BINARY): says which package and what to do', async () => {
  // This folder has no node_modules: the optional dependency cannot resolve.
  const saved = process.env.REVOKE_MOCK_BINARY;
  delete process.env.REVOKE_MOCK_BINARY;
  try {
    await assert.rejects(startMock(), (err) => {
      assert.equal(err.code, 'REVOKE_MOCK_BINARY_MISSING');
      assert.match(err.message, new RegExp(`revoke-mock-${process.platform}-${process.arch} is not installed|no prebuilt binary`));
      assert.match(err.message, /REVOKE_MOCK_BINARY/);
      return true;
    });
  } finally {
    process.env.REVOKE_MOCK_BINARY = saved;
  }
});

test('a taken port is a clear error with the mock stderr', async () => {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const port = /** @type {net.AddressInfo} */ (srv.address()).port;
  try {
    await assert.rejects(startMock({ port }), (err) => {
      assert.equal(err.code, 'REVOKE_MOCK_PORT_IN_USE');
      assert.match(err.message, new RegExp(`port ${port} on 127.0.0.1 is already in use`));
      assert.match(err.message, /address already in use/); // the mock's own stderr
      return true;
    });
  } finally {
    srv.close();
  }
});

test('a mock that exits early: the error quotes its stderr', async () => {
  await assert.rejects(startMock({ sessions: /** @type {any} */ ('sometimes') }), (err) => {
    assert.equal(err.code, 'REVOKE_MOCK_EXITED');
    assert.match(err.message, /exited with status 2 before it was ready/);
    assert.match(err.message, /--sessions "sometimes": want off, lazy or issued/);
    return true;
  });
});

test('a mock that never gets ready: a deadline, and the child is killed', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'revoke-mock-test-'));
  const fake = path.join(dir, 'revoke-mock');
  fs.writeFileSync(fake, '#!/bin/sh\necho "starting" >&2\nexec sleep 30\n', { mode: 0o755 });
  const started = Date.now();
  let pid = 0;
  try {
    await assert.rejects(startMock({ binary: fake, startTimeout: 500, onOutput: () => {} }), (err) => {
      assert.equal(err.code, 'REVOKE_MOCK_TIMEOUT');
      assert.match(err.message, /within 500 ms/);
      assert.match(err.message, /starting/);
      return true;
    });
    assert.ok(Date.now() - started < 20000, 'the deadline was not kept (the fake binary sleeps 30 s)');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(pid, 0);
});

test('the child dies with the Node process (exit, and SIGTERM)', async () => {
  for (const how of ['exit', 'SIGTERM']) {
    const script = `
      const { startMock } = require(${JSON.stringify(path.join(__dirname, '..', 'lib', 'index.cjs'))});
      startMock().then((m) => { console.log(m.process.pid); ${how === 'exit' ? 'process.exit(0);' : 'setInterval(() => {}, 1000);'} });`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise((resolve, reject) => {
      let out = '';
      const t = setTimeout(() => reject(new Error(`${how}: no pid within 15 s`)), 15000);
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('\n')) {
          clearTimeout(t);
          resolve(Number(out.trim()));
        }
      });
    });
    assert.ok(alive(pid), `${how}: the mock is not running`);
    if (how === 'SIGTERM') child.kill('SIGTERM');
    const [code, signal] = await new Promise((r) => child.on('exit', (c, s) => r([c, s])));
    assert.ok(await gone(pid), `${how}: the mock ${pid} outlived its Node process`);
    if (how === 'SIGTERM') assert.equal(signal, 'SIGTERM', 'the Node process should still die of its signal');
    else assert.equal(code, 0);
  }
});

test('bad options are refused before anything starts', () => {
  assert.throws(() => mockArgs(/** @type {any} */ ({ prot: 4010 })), /unknown option "prot"/);
  assert.throws(() => mockArgs({ port: 70000 }), /want a whole number from 0/);
  assert.throws(() => mockArgs(/** @type {any} */ ({ host: {} })), /want a string or a number/);
  assert.deepEqual(mockArgs({ sessions: 'issued', corsOrigins: ['http://a', 'http://b'], latency: '100ms..200ms' }),
    ['--port', '0', '--sessions', 'issued', '--latency', '100ms..200ms', '--cors-origins', 'http://a,http://b']);
  assert.throws(() => connectMock('127.0.0.1:4010'), /want the mock's base URL/);
});
