'use strict';
// The mock from JS test code: startMock runs the revoke-mock binary as a
// child process and resolves once it answers GET /__mock/health; connectMock
// talks to a mock that is already running. Both give the same client of the
// control API (/__mock/). Every wait has a deadline and every child is
// stopped: by stop(), and when the Node process exits or is signalled.
const { spawn } = require('child_process');
const { resolveBinary, withCode } = require('./binary.cjs');

const DEFAULT_START_TIMEOUT = 15000;
const DEFAULT_REQUEST_TIMEOUT = 10000;
const STOP_GRACE = 5000;
const KEEP_OUTPUT = 8192;

/** @type {Set<import('child_process').ChildProcess>} */
const live = new Set();
let hooked = false;

// The children die with this process: on a normal exit, and on the signals
// a test runner or a terminal sends (then the signal is raised again, so
// the process still dies of it, unless someone else handles it).
function hookProcessExit() {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    const onSignal = () => {
      killAll();
      if (process.listenerCount(sig) === 1) {
        process.removeListener(sig, onSignal);
        process.kill(process.pid, sig);
      }
    };
    process.on(sig, onSignal);
  }
}

function killAll() {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

/** Flags of the options that are passed as --name value. */
const flagOptions = {
  host: 'host', sessions: 'sessions', spec: 'spec', logFormat: 'log-format', latency: 'latency',
  journalSize: 'journal-size', controlToken: 'control-token', maxSessions: 'max-sessions', maxConns: 'max-conns',
  store: 'store', storePrefix: 'store-prefix', storeTimeout: 'store-timeout',
};

/**
 * The command line for options (exported for the tests).
 * @param {import('./index').MockOptions} options
 * @returns {string[]}
 */
function mockArgs(options) {
  const known = new Set([...Object.keys(flagOptions), 'port', 'corsOrigins', 'watch', 'args', 'binary', 'env',
    'startTimeout', 'requestTimeout', 'onOutput']);
  for (const k of Object.keys(options)) {
    if (!known.has(k)) throw new TypeError(`startMock: unknown option ${JSON.stringify(k)} (known: ${[...known].sort().join(', ')})`);
  }
  const port = options.port === undefined ? 0 : options.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`startMock: port ${JSON.stringify(port)}: want a whole number from 0 (a free port) to 65535`);
  }
  const args = ['--port', String(port)];
  for (const [opt, flag] of Object.entries(flagOptions)) {
    const v = /** @type {Record<string, unknown>} */ (options)[opt];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string' && typeof v !== 'number') {
      throw new TypeError(`startMock: ${opt} ${JSON.stringify(v)}: want a string or a number (the --${flag} flag)`);
    }
    args.push(`--${flag}`, String(v));
  }
  if (options.corsOrigins !== undefined) {
    const list = Array.isArray(options.corsOrigins) ? options.corsOrigins.join(',') : String(options.corsOrigins);
    args.push('--cors-origins', list);
  }
  if (options.watch) args.push('--watch');
  if (options.args) {
    if (!Array.isArray(options.args) || options.args.some((a) => typeof a !== 'string')) {
      throw new TypeError('startMock: args: want an array of strings (more command-line flags)');
    }
    args.push(...options.args);
  }
  return args;
}

// The mock's ready line, as text or JSON log.
const readyLine = /url=(http:\/\/[^\s"]+)|"url":"(http:\/\/[^"]+)"/;

/**
 * @param {import('./index').MockOptions} [options]
 * @returns {Promise<import('./index').Mock>}
 */
async function startMock(options = {}) {
  const args = mockArgs(options);
  const bin = resolveBinary('revoke-mock', options.binary || process.env.REVOKE_MOCK_BINARY, 'REVOKE_MOCK_BINARY');
  const startTimeout = options.startTimeout ?? DEFAULT_START_TIMEOUT;
  hookProcessExit();
  const child = spawn(bin, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...(options.env || {}) },
    windowsHide: true,
  });
  live.add(child);
  let stderr = '';
  let stdout = '';
  /** @type {(url: string) => void} */
  let onReady = () => {};
  const ready = new Promise((resolve) => { onReady = resolve; });
  let seen = false;
  let pending = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    stdout = (stdout + chunk).slice(-KEEP_OUTPUT);
    pending += chunk;
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (options.onOutput) options.onOutput(line);
      if (!seen && line.includes('revoke-mock ready')) {
        const m = readyLine.exec(line);
        if (m) {
          seen = true;
          onReady(m[1] || m[2]);
        }
      }
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-KEEP_OUTPUT);
    if (options.onOutput) for (const line of chunk.split('\n')) if (line) options.onOutput(line);
  });
  /** @type {Promise<{code: number | null, signal: string | null}>} */
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });
  let seenExit = false;
  exited.then(() => { seenExit = true; });
  const spawnFailed = new Promise((_, reject) => {
    child.on('error', (err) => {
      live.delete(child);
      reject(withCode(new Error(`revoke-mock: cannot run ${bin}: ${err.message}`), 'REVOKE_MOCK_SPAWN'));
    });
  });
  const early = exited.then(async ({ code, signal }) => {
    await new Promise((r) => setImmediate(r)); // the last of stderr
    const how = signal ? `was killed by ${signal}` : `exited with status ${code}`;
    const port = args[args.indexOf('--port') + 1];
    const host = options.host || '127.0.0.1';
    let msg = `revoke-mock ${how} before it was ready`;
    let errCode = 'REVOKE_MOCK_EXITED';
    if (/address already in use/i.test(stderr)) {
      msg = `revoke-mock: port ${port} on ${host} is already in use (another mock or Prism? pass port: 0 for a free port)`;
      errCode = 'REVOKE_MOCK_PORT_IN_USE';
    }
    throw withCode(new Error(`${msg}\n--- its stderr ---\n${stderr.trim() || '(empty)'}`), errCode);
  });
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(withCode(new Error(`revoke-mock did not answer GET /__mock/health within ${startTimeout} ms\n` +
      `--- its stderr ---\n${stderr.trim() || '(empty)'}\n--- its stdout ---\n${stdout.trim() || '(empty)'}`), 'REVOKE_MOCK_TIMEOUT')), startTimeout);
  });
  /** @type {string} */
  let url;
  try {
    url = await Promise.race([
      ready.then(async (u) => {
        await waitHealthy(u, options.controlToken, () => seenExit);
        return u;
      }),
      early, spawnFailed, timeout,
    ]);
  } catch (err) {
    child.kill('SIGKILL');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
    throw err;
  } finally {
    clearTimeout(timer);
  }
  early.catch(() => {}); // it resolves when the mock stops, after start
  spawnFailed.catch(() => {});
  const client = connectMock(url, { controlToken: options.controlToken, requestTimeout: options.requestTimeout });
  /** @type {Promise<void> | undefined} */
  let stopping;
  return Object.assign(client, {
    process: child,
    stop() {
      if (!stopping) {
        stopping = (async () => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          let t;
          const graced = await Promise.race([exited.then(() => true),
            new Promise((r) => { t = setTimeout(() => r(false), STOP_GRACE); })]);
          clearTimeout(t);
          if (!graced) {
            child.kill('SIGKILL');
            await exited;
          }
        })();
      }
      return stopping;
    },
    output() {
      return { stdout, stderr };
    },
  });
}

/** @param {string} url @param {string | undefined} controlToken @param {() => boolean} gone */
async function waitHealthy(url, controlToken, gone) {
  for (;;) {
    if (gone()) return; // the exit is reported by the caller's race
    try {
      const res = await fetch(`${url}/__mock/health`, { headers: controlHeaders(controlToken), signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** @param {string | undefined} controlToken @returns {Record<string, string>} */
function controlHeaders(controlToken) {
  return controlToken ? { 'Mock-Control-Token': controlToken } : {};
}

/**
 * A client of the control API of the mock at url.
 * @param {string} url
 * @param {{ controlToken?: string, requestTimeout?: number }} [options]
 * @returns {import('./index').MockClient}
 */
function connectMock(url, options = {}) {
  if (typeof url !== 'string' || !/^https?:\/\/[^/]+$/.test(url.replace(/\/$/, ''))) {
    throw new TypeError(`connectMock: url ${JSON.stringify(url)}: want the mock's base URL, such as http://127.0.0.1:4010`);
  }
  const base = url.replace(/\/$/, '');
  const requestTimeout = options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT;
  /**
   * @param {string} method @param {string} path @param {unknown} [body] @param {number[]} [want]
   * @returns {Promise<any>}
   */
  async function call(method, path, body, want = [200]) {
    /** @type {Record<string, string>} */
    const headers = { Accept: 'application/json', ...controlHeaders(options.controlToken) };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
      res = await fetch(base + path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(requestTimeout),
      });
    } catch (err) {
      const e = /** @type {Error} */ (err);
      const why = e.name === 'TimeoutError' ? `no answer within ${requestTimeout} ms` : (e.cause && /** @type {Error} */ (e.cause).message) || e.message;
      throw withCode(new Error(`revoke-mock: ${method} ${path} at ${base}: ${why}`), 'REVOKE_MOCK_UNREACHABLE');
    }
    const text = await res.text();
    if (!want.includes(res.status)) {
      let detail = text.slice(0, 2000);
      try {
        const p = JSON.parse(text);
        detail = [p.title, p.detail, ...(p.errors || []).map((/** @type {any} */ e) => `${e.field}: ${e.message}`),
          p.available ? `available: ${p.available.join(', ')}` : ''].filter(Boolean).join('; ');
      } catch {
        // not JSON: the text as it came
      }
      throw withCode(new Error(`revoke-mock: ${method} ${path} answered ${res.status}: ${detail}`), 'REVOKE_MOCK_CONTROL');
    }
    return text ? JSON.parse(text) : undefined;
  }
  const port = Number(new URL(base).port || (base.startsWith('https:') ? 443 : 80));
  return {
    url: base,
    port,
    async health() { return call('GET', '/__mock/health'); },
    async reset() { await call('POST', '/__mock/reset', undefined, [204]); },
    sessions: {
      async create(user) {
        if (typeof user !== 'string' || user.trim() === '') {
          throw new TypeError(`sessions.create: user ${JSON.stringify(user)}: want a non-empty string, such as "alice"`);
        }
        return call('POST', '/__mock/sessions', { user }, [201]);
      },
      async list() { return call('GET', '/__mock/sessions'); },
    },
    scenarios: {
      async add(scenario) {
        if (!scenario || typeof scenario !== 'object') throw new TypeError('scenarios.add: want an object such as { status: 500, times: 1 }');
        /** @type {Record<string, unknown>} */
        const body = { ...scenario };
        if (body.operation === undefined && body.method === undefined && body.path === undefined) {
          body.operation = 'post__sessions_revoke-all';
        }
        if (typeof body.delay === 'number') body.delay = `${body.delay}ms`;
        return call('POST', '/__mock/scenarios', body, [201]);
      },
      async list() { return (await call('GET', '/__mock/scenarios')).scenarios; },
      async delete(id) { await call('DELETE', `/__mock/scenarios/${encodeURIComponent(id)}`, undefined, [204]); },
      async clear() { await call('DELETE', '/__mock/scenarios', undefined, [204]); },
    },
    requests: {
      async list(filter = {}) {
        const q = new URLSearchParams();
        for (const [k, v] of Object.entries(filter)) {
          if (v === undefined || v === null) continue;
          q.set(k, v instanceof Date ? v.toISOString() : String(v));
        }
        const qs = q.toString();
        return (await call('GET', `/__mock/requests${qs ? `?${qs}` : ''}`)).requests;
      },
      async clear() { await call('DELETE', '/__mock/requests', undefined, [204]); },
    },
  };
}

module.exports = { startMock, connectMock, mockArgs };
