// The MSW handlers of revoke-mock/msw served over HTTP through
// @mswjs/http-middleware, so that the contract suite can check them:
//
//   node msw/server.cjs [PORT]      # prints "listening on http://127.0.0.1:PORT"
//
// PORT 0 (the default) takes a free port. The handlers keep sessions as
// the Go mock with --sessions issued does: only tokens minted through
// POST /__mock/sessions are valid (the suite's token command mints them).
// MSW_SESSIONS=off serves handlers that revoke nothing: CI runs the suite
// against those too and expects it to fail (the check can fail).
//
// CommonJS on purpose: @mswjs/http-middleware is CommonJS and its types
// name msw's CommonJS classes, so handlers from require('revoke-mock/msw')
// are the ones it takes (at run time msw is one instance either way).
'use strict';
const express = require('express');
const { createMiddleware } = require('@mswjs/http-middleware');
const { createHandlers, dropNetworkErrors } = require('revoke-mock/msw');

const port = Number(process.argv[2] || 0);
const sessions = /** @type {'off' | 'lazy' | 'issued'} */ (process.env.MSW_SESSIONS || 'issued');
const mock = createHandlers({ sessions });
const app = express();
app.use(dropNetworkErrors()); // a fault drops the connection, as from the Go mock
app.use(createMiddleware(...mock.handlers));
const server = app.listen(port, '127.0.0.1', () => {
  const addr = server.address();
  console.log(`listening on http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : port}`);
});
server.on('error', (/** @type {Error} */ err) => {
  console.error(`msw server: ${err.message}`);
  process.exit(1);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)));
