// The MSW handlers of revoke-mock/msw served over HTTP through
// @mswjs/http-middleware, so that the contract suite can check them:
//
//   node msw/server.mjs [PORT]      # prints "listening on http://127.0.0.1:PORT"
//
// PORT 0 (the default) takes a free port. The handlers keep sessions as
// the Go mock with --sessions issued does: only tokens minted through
// POST /__mock/sessions are valid (the suite's token command mints them).
// MSW_SESSIONS=off serves handlers that revoke nothing: CI runs the suite
// against those too and expects it to fail (the check can fail).
import { createServer } from '@mswjs/http-middleware';
import { createHandlers } from 'revoke-mock/msw';

const port = Number(process.argv[2] || 0);
const mock = createHandlers({ sessions: process.env.MSW_SESSIONS || 'issued' });
const app = createServer(...mock.handlers);
const server = app.listen(port, '127.0.0.1', () => {
  const addr = server.address();
  console.log(`listening on http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : port}`);
});
server.on('error', (err) => {
  console.error(`msw server: ${err.message}`);
  process.exit(1);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)));
