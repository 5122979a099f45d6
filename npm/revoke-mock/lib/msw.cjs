'use strict';
// revoke-mock/msw: request handlers for MSW 2.x with the Go mock's
// semantics, for tests that mock in-process (in the browser or in Node,
// without a server). The answers come from the same embedded spec
// (openapi.json, generated from spec/openapi.yaml): the first 2xx example
// by default, the 401 examples with the mock's RFC 6750 challenges,
// `Prefer: code=`, `example=` and `delay=`, and the control API under
// /__mock/ (sessions, reset, scenarios, the journal). Each call of
// createHandlers is one mock: its own sessions, revocations and scenarios.
// CI proves they conform: revoke-contract --strict runs against them
// through @mswjs/http-middleware (examples/msw).
const { http, HttpResponse, delay: mswDelay } = require('msw');
const spec = require('./openapi.json');

const CONTROL = '/__mock/';
const MAX_DELAY_MS = 60000;
const MAX_TOKEN_LEN = 4096;
const MAX_USER_LEN = 256;
const FAULTS = ['reset', 'close', 'hang', 'drip', 'malformed'];
const EXPOSED = 'WWW-Authenticate, Preference-Applied, Allow, Mock-Scenario';
const problemType = (name) => `urn:revoke-mock:problem:${name}`;

// Why a request's credentials were refused, as the Go mock names it.
const CRED = {
  missing: { rank: 1, decision: 'auth.missing', description: 'no credentials were sent' },
  scheme: { rank: 2, decision: 'auth.scheme', description: 'the Authorization scheme is not Bearer' },
  empty: { rank: 3, decision: 'auth.empty', description: 'the bearer token is empty' },
  malformed: { rank: 4, decision: 'auth.malformed', description: 'the bearer token is malformed' },
  unknown: { rank: 5, decision: 'auth.unknown', description: 'the bearer token is not a known session' },
  revoked: { rank: 6, decision: 'auth.revoked', description: 'the session was revoked' },
};

/** The operations of the spec, compiled once. */
function compileOperations() {
  /** @type {any[]} */
  const ops = [];
  for (const [tmpl, item] of Object.entries(spec.paths || {})) {
    for (const [m, op] of Object.entries(/** @type {Record<string, any>} */ (item))) {
      const method = m.toUpperCase();
      if (!['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'TRACE'].includes(method)) continue;
      const answers = [];
      for (const [code, resp] of Object.entries(/** @type {Record<string, any>} */ (op.responses || {}))) {
        const r = resp.$ref ? resolve(resp.$ref) : resp;
        const isDefault = code === 'default';
        const status = isDefault ? 500 : /^\dXX$/i.test(code) ? Number(code[0]) * 100 : Number(code);
        const contentType = Object.keys(r.content || {})[0] || '';
        const media = contentType ? r.content[contentType] : {};
        const examples = [];
        for (const [name, ex] of Object.entries(/** @type {Record<string, any>} */ (media.examples || {}))) {
          const e = ex.$ref ? resolve(ex.$ref) : ex;
          examples.push({ name, body: JSON.stringify(e.value) });
        }
        if (media.example !== undefined) examples.push({ name: '', body: JSON.stringify(media.example) });
        if (examples.length === 0) examples.push({ name: '', body: contentType ? '{}' : '' });
        answers.push({ code, status, isDefault, contentType, examples });
      }
      answers.sort((a, b) => (a.isDefault !== b.isDefault ? (a.isDefault ? 1 : -1) : a.status - b.status));
      const security = op.security !== undefined ? op.security : /** @type {any} */ (spec).security || [];
      ops.push({
        method, path: tmpl, id: op.operationId || '', name: op.operationId || `${method} ${tmpl}`, answers,
        bearer: security.length > 0, revokes: method === 'POST' && tmpl === '/sessions/revoke-all',
      });
    }
  }
  return ops;
}

/** @param {string} ref */
function resolve(ref) {
  let v = /** @type {any} */ (spec);
  for (const part of ref.replace(/^#\//, '').split('/')) v = v[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  return v;
}

const operations = compileOperations();

/** @param {string} header */
function bearerToken(header) {
  if (!header) return { problem: 'missing' };
  const sp = header.indexOf(' ');
  const scheme = sp < 0 ? header : header.slice(0, sp);
  if (scheme.toLowerCase() !== 'bearer') return { problem: 'scheme' };
  const token = sp < 0 ? '' : header.slice(sp + 1).replace(/^ +/, '');
  if (token === '') return { problem: 'empty' };
  if (token.length > MAX_TOKEN_LEN || !/^[A-Za-z0-9\-._~+/]+=*$/.test(token)) return { problem: 'malformed' };
  return { token };
}

/** The user a lazy session of token belongs to: a JWT's userId or sub claim, else the token. */
function lazyUser(token) {
  const parts = token.split('.');
  if (parts.length === 3) {
    try {
      const b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
      const claims = JSON.parse(decodeURIComponent(escape(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)))));
      for (const k of ['userId', 'sub']) {
        if (typeof claims[k] === 'string' && claims[k] !== '') return claims[k];
        if (typeof claims[k] === 'number') return String(claims[k]);
      }
    } catch {
      // not a JWT
    }
  }
  return token;
}

function randomToken() {
  const b = new Uint8Array(32);
  globalThis.crypto.getRandomValues(b);
  return btoa(String.fromCharCode(...b)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A Go duration ("1.5s", "300ms", "1m30s") or a number of ms, in ms; NaN when it is neither. */
function parseDuration(v) {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : NaN;
  if (typeof v !== 'string' || v === '') return NaN;
  if (v === '0') return 0;
  const units = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };
  let total = 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let m;
  let at = 0;
  while ((m = re.exec(v)) !== null) {
    total += Number(m[1]) * units[/** @type {keyof typeof units} */ (m[2])];
    at = re.lastIndex;
  }
  return at === v.length ? total : NaN;
}

/** @param {unknown} latency @returns {() => number} */
function latencyOf(latency) {
  if (latency === undefined || latency === null || latency === '' || latency === 0) return () => 0;
  let lo;
  let hi;
  if (Array.isArray(latency)) [lo, hi] = latency.map(parseDuration);
  else if (typeof latency === 'string' && latency.includes('..')) [lo, hi] = latency.split('..').map(parseDuration);
  else lo = hi = parseDuration(/** @type {any} */ (latency));
  if (!(lo >= 0) || !(hi >= lo) || hi > MAX_DELAY_MS) {
    throw new TypeError(`createHandlers: latency ${JSON.stringify(latency)}: want ms, "300ms" or "100ms..800ms", at most 60s`);
  }
  return () => lo + Math.random() * (hi - lo);
}

/**
 * @param {import('./msw').HandlersOptions} [options]
 * @returns {import('./msw').MockHandlers}
 */
function createHandlers(options = {}) {
  const known = ['sessions', 'baseUrl', 'latency', 'realm', 'seed', 'journalSize', 'corsOrigins'];
  for (const k of Object.keys(options)) {
    if (!known.includes(k)) throw new TypeError(`createHandlers: unknown option ${JSON.stringify(k)} (known: ${known.join(', ')})`);
  }
  const mode = options.sessions || 'lazy';
  if (!['off', 'lazy', 'issued'].includes(mode)) throw new TypeError(`createHandlers: sessions ${JSON.stringify(mode)}: want off, lazy or issued`);
  const base = (options.baseUrl || '*').replace(/\/$/, '');
  const realm = options.realm || 'flashback';
  const drawLatency = latencyOf(options.latency);
  const journalSize = options.journalSize ?? 1000;
  const origins = options.corsOrigins ? (Array.isArray(options.corsOrigins) ? options.corsOrigins : [options.corsOrigins]) : [];

  /** @type {Map<string, { user: string, revoked: boolean }>} */
  const sessions = new Map();
  /** @type {any[]} */
  let scenarios = [];
  let scenarioSeq = 0;
  /** @type {any[]} */
  let journal = [];
  let journalSeq = 0;

  function seedSessions() {
    for (const s of options.seed || []) sessions.set(s.token, { user: s.user, revoked: false });
  }
  seedSessions();

  function reset() {
    sessions.clear();
    scenarios = [];
    journal = [];
    seedSessions();
  }

  function mint(user) {
    const token = randomToken();
    sessions.set(token, { user, revoked: false });
    return token;
  }

  /** @param {string} token @returns {{ state: 'live' | 'unknown' | 'revoked', user: string }} */
  function lookup(token) {
    if (mode === 'off') return { state: 'live', user: '' };
    const s = sessions.get(token);
    if (s) return { state: s.revoked ? 'revoked' : 'live', user: s.user };
    if (mode === 'lazy') {
      const user = lazyUser(token);
      sessions.set(token, { user, revoked: false });
      return { state: 'live', user };
    }
    return { state: 'unknown', user: '' };
  }

  function revokeUser(token) {
    if (mode === 'off') return;
    const s = sessions.get(token);
    if (!s) return;
    for (const other of sessions.values()) if (other.user === s.user) other.revoked = true;
  }

  function challenge(problem) {
    const c = `Bearer realm="${realm}"`;
    return problem === 'missing' ? c : `${c}, error="invalid_token", error_description="${CRED[problem].description}"`;
  }

  /** @param {Request} req @param {Headers} h */
  function cors(req, h) {
    h.set('Vary', 'Origin');
    const origin = req.headers.get('Origin');
    if (!origin) return null;
    const preflight = req.method === 'OPTIONS' && req.headers.get('Access-Control-Request-Method');
    if (origins.length > 0 && !origins.map((o) => o.replace(/\/$/, '').toLowerCase()).includes(origin.toLowerCase())) {
      return preflight ? problemResponse(h, 403, 'origin-not-allowed', 'Origin not allowed',
        'these handlers were created with corsOrigins, and the request\'s Origin is not in that list') : null;
    }
    h.set('Access-Control-Allow-Origin', origin);
    h.set('Access-Control-Allow-Credentials', 'true');
    if (!preflight) {
      h.set('Access-Control-Expose-Headers', EXPOSED);
      return null;
    }
    h.set('Vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
    h.set('Access-Control-Allow-Methods', preflight);
    const asked = req.headers.get('Access-Control-Request-Headers');
    h.set('Access-Control-Allow-Headers', asked && /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+(\s*,\s*[!#$%&'*+\-.^_`|~0-9A-Za-z]+)*$/.test(asked) ? asked : 'Authorization, Content-Type, Prefer');
    h.set('Access-Control-Max-Age', '600');
    return new HttpResponse(null, { status: 204, headers: h });
  }

  function problemResponse(h, status, type, title, detail, extra = {}) {
    h.set('Content-Type', 'application/problem+json');
    h.set('Cache-Control', 'no-store');
    return new HttpResponse(JSON.stringify({ type: problemType(type), title, status, ...(detail ? { detail } : {}), ...extra }), { status, headers: h });
  }

  function answerResponse(h, answer, example, isHead) {
    if (answer.contentType) h.set('Content-Type', answer.contentType);
    h.set('Cache-Control', 'no-store');
    return new HttpResponse(isHead ? null : example.body, { status: answer.status, headers: h });
  }

  /** The documented answer code and example name choose, or the problem that lists what exists. */
  function pickAnswer(op, code, exampleName, by) {
    const asked = (key, val) => (by === 'Prefer' ? `Prefer: ${key}=${val}` : `${by} asks for ${key === 'code' ? 'status' : key} ${val}`);
    let a = op.answers.find((x) => !x.isDefault && x.status >= 200 && x.status < 300) || op.answers[0];
    if (code) {
      a = op.answers.find((x) => x.code === code) || op.answers.find((x) => !x.isDefault && String(x.status) === code);
      if (!a) {
        return { problem: { title: 'No such response code in the spec', detail: `${asked('code', code)}, but ${op.method} ${op.path} documents only these codes`, available: op.answers.map((x) => x.code) } };
      }
    }
    if (!exampleName) return { answer: a, example: a.examples[0] };
    for (const c of code ? [a] : op.answers) {
      const ex = c.examples.find((e) => e.name === exampleName);
      if (ex) return { answer: c, example: ex };
    }
    const available = [];
    for (const c of code ? [a] : op.answers) for (const e of c.examples) if (e.name) available.push(`${c.code}: ${e.name}`);
    return { problem: { title: 'No such example in the spec', detail: `${asked('example', exampleName)}, but ${op.method} ${op.path} has no example of that name`, available } };
  }

  function parsePrefer(values) {
    const p = { code: '', example: '', delay: -1 };
    for (const item of values.split(',')) {
      const pref = item.split(';')[0];
      const eq = pref.indexOf('=');
      const name = (eq < 0 ? pref : pref.slice(0, eq)).trim().toLowerCase();
      let val = eq < 0 ? '' : pref.slice(eq + 1).trim();
      if (val.length >= 2 && val[0] === '"' && val[val.length - 1] === '"') val = val.slice(1, -1);
      if (name === 'code') {
        if (!val) throw new Error('the code preference needs a value, as in Prefer: code=500');
        p.code = val;
      } else if (name === 'example') {
        if (!val) throw new Error('the example preference needs a value, as in Prefer: example=success');
        p.example = val;
      } else if (name === 'delay') {
        if (!/^\d+$/.test(val)) throw new Error(`the delay preference is a whole number of milliseconds, as in Prefer: delay=1500; got ${JSON.stringify(val)}`);
        if (Number(val) > MAX_DELAY_MS) throw new Error(`the delay preference ${val} ms is longer than the mock's limit of ${MAX_DELAY_MS} ms (1m0s)`);
        p.delay = Number(val);
      }
    }
    return p;
  }

  function takeScenario(op, user, headers) {
    for (const sc of scenarios) {
      if (sc.method !== op.method || sc.path !== op.path) continue;
      if (sc.user && sc.user !== user) continue;
      if (sc.header && !(headers.get(sc.header.name) || '').split(/\s*,\s*/).includes(sc.header.value)) continue;
      if (sc.remaining === 0) continue;
      if (sc.remaining > 0) sc.remaining--;
      if (sc.remaining === 0) scenarios = scenarios.filter((x) => x !== sc);
      return { ...sc };
    }
    return null;
  }

  function record(req, url, status, op, decision, extra) {
    if (journalSize <= 0) return;
    const headers = [];
    req.headers.forEach((value, name) => {
      const canon = name.replace(/(^|-)([a-z])/g, (_, d, c) => d + c.toUpperCase());
      headers.push({ name: canon, value: /^(authorization|cookie|proxy-authorization)$/.test(name) ? redact(value) : value });
    });
    headers.sort((a, b) => (a.name < b.name ? -1 : 1));
    journal.unshift({
      seq: ++journalSeq, time: new Date().toISOString(), method: req.method, path: url.pathname, status,
      operation: op ? op.name : undefined, decision, headers, ...extra,
    });
    if (journal.length > journalSize) journal.length = journalSize;
  }

  /** The API's pipeline: route, authenticate, choose, revoke, deliver. */
  async function serveAPI(req, url, pathOps) {
    const h = new Headers();
    const pre = cors(req, h);
    if (pre) return pre;
    const op = pathOps.find((o) => o.method === req.method);
    const allow = pathOps.map((o) => o.method).sort().join(', ');
    if (!op) {
      if (req.method === 'OPTIONS') {
        h.set('Allow', `${allow}, OPTIONS`);
        return new HttpResponse(null, { status: 204, headers: h });
      }
      h.set('Allow', allow);
      record(req, url, 405, null, 'route.method-not-allowed');
      return problemResponse(h, 405, 'method-not-allowed', 'Method not allowed', `${pathOps[0].path} supports ${allow}, not ${req.method}`);
    }
    const isHead = req.method === 'HEAD';
    let token = '';
    let user = '';
    if (op.bearer) {
      const b = bearerToken(req.headers.get('Authorization') || '');
      let problem = b.problem;
      if (!problem) {
        const s = lookup(b.token);
        if (s.state === 'live') {
          token = b.token;
          user = s.user;
        } else problem = s.state;
      }
      if (problem) {
        await mswDelay(drawLatency());
        const a = op.answers.find((x) => x.status === 401);
        h.set('WWW-Authenticate', challenge(problem));
        record(req, url, 401, op, CRED[problem].decision);
        if (!a) return problemResponse(h, 401, 'unauthorized', 'Unauthorized', CRED[problem].description);
        const ex = a.examples.find((e) => e.name === (problem === 'missing' ? 'missing_token' : 'invalid_token')) || a.examples[0];
        return answerResponse(h, a, ex, isHead);
      }
    }
    let p = { code: '', example: '', delay: -1 };
    const prefer = req.headers.get('Prefer');
    if (prefer) {
      try {
        p = parsePrefer(prefer);
      } catch (err) {
        record(req, url, 400, op, 'prefer.unknown', { user });
        return problemResponse(h, 400, 'unknown-preference', 'Malformed Prefer header', /** @type {Error} */ (err).message);
      }
    }
    const sc = !p.code && !p.example ? takeScenario(op, user, req.headers) : null;
    const picked = sc ? pickAnswer(op, sc.status, sc.example, `scenario ${sc.id}`) : pickAnswer(op, p.code, p.example, 'Prefer');
    if (picked.problem) {
      record(req, url, 400, op, 'prefer.unknown', { user });
      return problemResponse(h, 400, 'unknown-preference', picked.problem.title, picked.problem.detail, { available: picked.problem.available });
    }
    const { answer, example } = picked;
    let wait = drawLatency();
    if (p.delay >= 0) wait = p.delay;
    else if (sc && sc.delayMs > 0) wait = sc.delayMs;
    const revokes = op.revokes && !answer.isDefault && answer.status >= 200 && answer.status < 300;
    // The work first: whatever the delay or fault, a 2xx has revoked by the time the client could hear of it.
    if (revokes && token) revokeUser(token);
    if (!sc && (p.code || p.example)) {
      h.set('Preference-Applied', [p.code && `code=${p.code}`, p.example && `example=${p.example}`].filter(Boolean).join(', '));
    }
    if (answer.status === 401) h.set('WWW-Authenticate', challenge(example.name === 'missing_token' ? 'missing' : 'unknown'));
    let decision = `example ${answer.code}/${example.name || 'example'}`;
    if (sc) {
      h.set('Mock-Scenario', sc.id);
      decision = `scenario ${sc.id}: ${decision}${sc.fault ? `, fault ${sc.fault}` : ''}`;
    }
    record(req, url, answer.status, op, decision, { user: user || undefined, scenario: sc ? sc.id : undefined });
    if (sc && sc.fault === 'drip') return drip(h, answer, example, sc.delayMs || 3000, isHead);
    if (wait > 0) await mswDelay(wait);
    if (sc && sc.fault) {
      if (sc.fault === 'hang') await mswDelay('infinite');
      // reset, close, malformed: the client gets no HTTP answer, as from the Go mock.
      return HttpResponse.error();
    }
    return answerResponse(h, answer, example, isHead);
  }

  /** The documented answer a few bytes at a time over ms. */
  function drip(h, answer, example, ms, isHead) {
    if (answer.contentType) h.set('Content-Type', answer.contentType);
    h.set('Cache-Control', 'no-store');
    const bytes = new TextEncoder().encode(isHead ? '' : example.body);
    const steps = Math.max(1, Math.min(bytes.length, 10));
    let i = 0;
    const body = new ReadableStream({
      async pull(ctl) {
        if (i >= steps) {
          ctl.close();
          return;
        }
        await new Promise((r) => setTimeout(r, ms / steps));
        ctl.enqueue(bytes.slice(Math.floor((i * bytes.length) / steps), Math.floor(((i + 1) * bytes.length) / steps)));
        i++;
      },
    });
    return new HttpResponse(body, { status: answer.status, headers: h });
  }

  // The control API's answers.
  const json = (status, v) => HttpResponse.json(v, { status, headers: { 'Cache-Control': 'no-store' } });
  const invalid = (detail, extra = {}) => problemResponse(new Headers(), 400, 'invalid-control-request', 'Invalid control request', detail, extra);
  const noContent = () => new HttpResponse(null, { status: 204 });

  async function readJSON(req) {
    const text = await req.text();
    if (text.length > 64 << 10) return { error: 'the body is larger than 64 KiB' };
    try {
      return { value: JSON.parse(text) };
    } catch (err) {
      return { error: `the body must be JSON: ${/** @type {Error} */ (err).message}` };
    }
  }

  /** @param {any} req @returns {{ scenario?: any, errors?: any[], available?: string[] }} */
  function compileScenario(req) {
    const errors = [];
    const bad = (field, expected, received, message) => errors.push({ field, ...(expected ? { expected } : {}), ...(received ? { received: String(received).slice(0, 100) } : {}), message });
    const allowed = ['operation', 'method', 'path', 'status', 'example', 'times', 'delay', 'fault', 'user', 'header'];
    for (const k of Object.keys(req)) if (!allowed.includes(k)) bad(k, allowed.join(', '), k, 'unknown field');
    let op;
    const opNames = operations.map((o) => (o.id ? `${o.id} (${o.method} ${o.path})` : `${o.method} ${o.path}`)).sort();
    if (req.operation && (req.method || req.path)) bad('operation', 'operation, or method and path', '', 'name the operation either by its operationId or by method and path, not both');
    else if (req.operation) {
      op = operations.find((o) => o.id === req.operation);
      if (!op) {
        bad('operation', 'an operationId of the spec', req.operation, 'no operation of the spec has this operationId');
        return { errors, available: opNames };
      }
    } else if (req.method && req.path) {
      op = operations.find((o) => o.method === String(req.method).toUpperCase() && o.path === req.path);
      if (!op) {
        bad('path', 'a method and path of the spec', `${req.method} ${req.path}`, 'the spec has no such operation');
        return { errors, available: opNames };
      }
    } else {
      bad('operation', 'an operationId, or method and path', '', 'the target is required: "operation":"post__sessions_revoke-all", or "method":"POST","path":"/sessions/revoke-all"');
      return { errors, available: opNames };
    }
    if (!op) return { errors };
    /** @type {any} */
    const sc = { method: op.method, path: op.path, ...(op.id ? { operation: op.id } : {}) };
    let available;
    if (req.status !== undefined && req.status !== null) {
      if (typeof req.status === 'number' && Number.isInteger(req.status)) sc.status = String(req.status);
      else if (typeof req.status === 'string' && req.status !== '') sc.status = req.status;
      else bad('status', 'a documented status such as 500', JSON.stringify(req.status), 'status must be a number or a string');
    }
    if (req.example !== undefined) sc.example = String(req.example);
    if (errors.length === 0 && (sc.status || sc.example)) {
      const picked = pickAnswer(op, sc.status, sc.example, 'the scenario');
      if (picked.problem) {
        bad(op.answers.some((x) => x.code === sc.status) || !sc.status ? 'example' : 'status', 'one of the available ones', (sc.status || '') + (sc.example || ''), picked.problem.detail);
        available = picked.problem.available;
      }
    }
    if (req.times !== undefined && req.times !== null) {
      if (!Number.isInteger(req.times) || req.times < 1) bad('times', 'a whole number from 1', String(req.times), 'times is how many requests the scenario decides; leave it out for "until deleted"');
      else sc.times = req.times;
    }
    if (req.delay !== undefined && req.delay !== null) {
      const ms = typeof req.delay === 'string' ? parseDuration(req.delay) : NaN;
      if (typeof req.delay !== 'string') bad('delay', 'a Go duration string such as "1.5s"', JSON.stringify(req.delay), 'delay is a string with a unit, such as "1.5s" or "300ms"');
      else if (Number.isNaN(ms)) bad('delay', 'a Go duration string such as "1.5s"', req.delay, 'delay is not a duration');
      else if (ms > MAX_DELAY_MS) bad('delay', 'at most 1m0s', req.delay, 'the longest delay the mock holds a request is 1m0s');
      else {
        sc.delay = req.delay;
        sc.delayMs = ms;
      }
    }
    if (req.fault !== undefined && req.fault !== '') {
      if (!FAULTS.includes(req.fault)) bad('fault', FAULTS.join(', '), req.fault, 'no such fault');
      else sc.fault = req.fault;
    }
    if (req.user !== undefined) {
      if (typeof req.user !== 'string' || req.user.length > MAX_USER_LEN) bad('user', `a string of at most ${MAX_USER_LEN} bytes`, String(req.user), 'user is too long');
      else if (req.user) sc.user = req.user;
    }
    if (req.header !== undefined && req.header !== null) {
      const hd = req.header;
      if (!hd || typeof hd.name !== 'string' || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(hd.name) || typeof hd.value !== 'string' || hd.value === '') {
        bad('header', '{"name":"X-Developer","value":"ann"}', JSON.stringify(hd), 'a header scope needs a header name and a value');
      } else sc.header = { name: hd.name, value: hd.value };
    }
    return errors.length ? { errors, available } : { scenario: sc };
  }

  function addScenario(input) {
    const { scenario, errors, available } = compileScenario(input || {});
    if (errors) return { errors, available };
    const sc = { id: `sc-${++scenarioSeq}`, ...scenario, remaining: scenario.times || -1, created: new Date().toISOString() };
    scenarios.push(sc);
    return { scenario: sc };
  }

  const view = (sc) => {
    const { delayMs, ...rest } = sc;
    return rest;
  };

  function listSessions() {
    /** @type {Map<string, number>} */
    const users = new Map();
    for (const s of sessions.values()) if (!s.revoked) users.set(s.user, (users.get(s.user) || 0) + 1);
    return { mode, users: [...users].sort(([a], [b]) => (a < b ? -1 : 1)).map(([u, n]) => ({ user: u, sessions: n })) };
  }

  /** The control API: /__mock/... */
  async function serveControl(req, url) {
    const path = url.pathname.slice(CONTROL.length - 1);
    const route = (allow, handlers) => {
      const fn = handlers[req.method] || (req.method === 'HEAD' ? handlers.GET : undefined);
      if (fn) return fn();
      if (req.method === 'OPTIONS') return new HttpResponse(null, { status: 204, headers: { Allow: `${allow}, OPTIONS` } });
      return problemResponse(new Headers({ Allow: allow }), 405, 'method-not-allowed', 'Method not allowed', `${CONTROL}${path.slice(1)} supports ${allow}, not ${req.method}`);
    };
    switch (path) {
      case '/health':
        return route('GET, HEAD', { GET: () => json(200, { status: 'ok', spec: { source: 'revoke-mock/msw (spec/openapi.yaml)' } }) });
      case '/reset':
        return route('POST', { POST: () => { reset(); return noContent(); } });
      case '/sessions':
        return route('GET, HEAD, POST', {
          GET: () => json(200, listSessions()),
          POST: async () => {
            const body = await readJSON(req);
            if (body.error) return invalid(body.error);
            const u = body.value && body.value.user;
            if (typeof u !== 'string' || u.trim() === '') return invalid('"user" is required and must be a non-empty string, as in {"user":"alice"}');
            if (u.length > MAX_USER_LEN) return invalid(`"user" is longer than ${MAX_USER_LEN} bytes`);
            return json(201, { user: u, token: mint(u) });
          },
        });
      case '/scenarios':
        return route('GET, HEAD, POST, DELETE', {
          GET: () => json(200, { scenarios: scenarios.map(view) }),
          DELETE: () => { scenarios = []; return noContent(); },
          POST: async () => {
            const body = await readJSON(req);
            if (body.error) return invalid(body.error);
            if (!body.value || typeof body.value !== 'object' || Array.isArray(body.value)) return invalid('the body must be a JSON object such as {"operation":"post__sessions_revoke-all","status":500,"example":"server_error","times":1}');
            const r = addScenario(body.value);
            if (r.errors) return invalid('the scenario cannot be applied; see errors', { errors: r.errors, ...(r.available ? { available: r.available } : {}) });
            return HttpResponse.json(view(r.scenario), { status: 201, headers: { Location: `${CONTROL}scenarios/${r.scenario.id}`, 'Cache-Control': 'no-store' } });
          },
        });
      case '/requests':
        return route('GET, HEAD, DELETE', {
          GET: () => json(200, { requests: filterJournal(url.searchParams) }),
          DELETE: () => { journal = []; return noContent(); },
        });
      default:
        if (path.startsWith('/scenarios/')) {
          return route('DELETE', {
            DELETE: () => {
              const id = decodeURIComponent(path.slice('/scenarios/'.length));
              const before = scenarios.length;
              scenarios = scenarios.filter((s) => s.id !== id);
              if (scenarios.length === before) return problemResponse(new Headers(), 404, 'not-found', 'No such scenario', `no active scenario has the id ${JSON.stringify(id)}`);
              return noContent();
            },
          });
        }
        return problemResponse(new Headers(), 404, 'not-found', 'No such control endpoint', `${CONTROL} is reserved for the mock's control API`);
    }
  }

  function filterJournal(q) {
    let out = journal;
    const method = q.get('method');
    const path = q.get('path');
    const operation = q.get('operation');
    const status = q.get('status');
    const since = q.get('since');
    const limit = q.get('limit');
    if (method) out = out.filter((e) => e.method === method.toUpperCase());
    if (path) out = out.filter((e) => e.path === path);
    if (operation) out = out.filter((e) => e.operation === operation);
    if (status) out = out.filter((e) => e.status === Number(status));
    if (since) out = out.filter((e) => e.time >= new Date(since).toISOString());
    if (limit) out = out.slice(0, Number(limit));
    return out;
  }

  /** @type {Map<string, any[]>} */
  const byPath = new Map();
  for (const op of operations) {
    if (!byPath.has(op.path)) byPath.set(op.path, []);
    /** @type {any[]} */ (byPath.get(op.path)).push(op);
  }
  const handlers = [
    http.all(`${base}${CONTROL}*`, ({ request }) => serveControl(request, new URL(request.url))),
    ...[...byPath].map(([tmpl, pathOps]) => http.all(`${base}${tmpl.replace(/\{([^}]+)\}/g, ':$1')}`,
      ({ request }) => serveAPI(request, new URL(request.url), pathOps))),
  ];

  return {
    handlers,
    async reset() { reset(); },
    sessions: {
      async create(user) {
        if (typeof user !== 'string' || user.trim() === '') throw new TypeError(`sessions.create: user ${JSON.stringify(user)}: want a non-empty string, such as "alice"`);
        return { user, token: mint(user) };
      },
      async list() { return listSessions(); },
    },
    scenarios: {
      async add(input) {
        const body = { ...(input || {}) };
        if (body.operation === undefined && body.method === undefined && body.path === undefined) body.operation = 'post__sessions_revoke-all';
        if (typeof body.delay === 'number') body.delay = `${body.delay}ms`;
        const r = addScenario(body);
        if (r.errors) {
          throw new Error(`revoke-mock/msw: the scenario cannot be applied: ${r.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}${r.available ? `; available: ${r.available.join(', ')}` : ''}`);
        }
        return view(r.scenario);
      },
      async list() { return scenarios.map(view); },
      async delete(id) {
        const before = scenarios.length;
        scenarios = scenarios.filter((s) => s.id !== id);
        if (scenarios.length === before) throw new Error(`revoke-mock/msw: no active scenario has the id ${JSON.stringify(id)}`);
      },
      async clear() { scenarios = []; },
    },
    requests: {
      async list(filter = {}) {
        const q = new URLSearchParams();
        for (const [k, v] of Object.entries(filter)) if (v !== undefined && v !== null) q.set(k, v instanceof Date ? v.toISOString() : String(v));
        return filterJournal(q);
      },
      async clear() { journal = []; },
    },
  };
}

/** Authorization as the Go journal shows it: the scheme and a fingerprint, never the credential. */
function redact(value) {
  const sp = value.indexOf(' ');
  const scheme = sp < 0 ? '' : value.slice(0, sp);
  let h = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) h = Math.imul(h ^ value.charCodeAt(i), 0x01000193) >>> 0;
  return `${scheme ? `${scheme} ` : ''}fp:${h.toString(16).padStart(8, '0')}`;
}

/**
 * Connect/Express middleware for serving the handlers over HTTP with
 * @mswjs/http-middleware: MSW's network error (the reset, close and
 * malformed faults) reaches it as a response with status 0, which Node
 * refuses by throwing, and the server dies; this drops the connection
 * instead, as the Go mock does. Put it before createMiddleware(...).
 * @returns {(req: any, res: any, next: () => void) => void}
 */
function dropNetworkErrors() {
  return (req, res, next) => {
    const end = res.end;
    res.end = function endOrDrop(/** @type {any[]} */ ...args) {
      if (res.statusCode === 0) {
        (res.socket || req.socket).destroy();
        return res;
      }
      return end.apply(this, args);
    };
    next();
  };
}

module.exports = { createHandlers, dropNetworkErrors };
