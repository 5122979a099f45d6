// The frontend code under test: the "Log out everywhere" call, as a page
// would make it. Examples only; not part of any package.

/**
 * @typedef {{ kind: 'done', message: string } | { kind: 'expired' } | { kind: 'failed', status: number } | { kind: 'offline' }} LogoutResult
 */

/**
 * POST /sessions/revoke-all with the user's token.
 * @param {string} apiUrl such as http://127.0.0.1:4010
 * @param {string} token the session's bearer token
 * @param {{ timeoutMs?: number, fetch?: typeof fetch }} [options]
 * @returns {Promise<LogoutResult>}
 */
export async function logoutEverywhere(apiUrl, token, options = {}) {
  const doFetch = options.fetch || fetch;
  let res;
  try {
    res = await doFetch(`${apiUrl}/sessions/revoke-all`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
      signal: AbortSignal.timeout(options.timeoutMs || 10000),
    });
  } catch {
    return { kind: 'offline' };
  }
  if (res.status === 200) {
    const body = /** @type {import('revoke-mock').RevokeAllSuccess} */ (await res.json());
    return { kind: 'done', message: body.message || 'Logged out' };
  }
  if (res.status === 401) return { kind: 'expired' };
  return { kind: 'failed', status: res.status };
}

/** What the page shows for a result. @param {LogoutResult} r */
export function describe(r) {
  switch (r.kind) {
    case 'done': return 'Logged out on all devices';
    case 'expired': return 'Your session has already ended: log in again';
    case 'failed': return `Could not log out (error ${r.status}): try again`;
    default: return 'No connection: check your network and try again';
  }
}
