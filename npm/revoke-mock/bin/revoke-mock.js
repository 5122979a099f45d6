#!/usr/bin/env node
// The revoke-mock launcher: runs the prebuilt binary of this platform,
// installed as an optional dependency (revoke-mock-<platform>-<arch>; the
// esbuild pattern: no download at install time, so it works offline, behind
// proxies and with --ignore-scripts), with the same arguments, forwarding
// signals and the exit status. REVOKE_MOCK_BINARY names another binary.
'use strict';
const { spawn } = require('child_process');
const { resolveBinary } = require('../lib/binary.cjs');

let bin;
try {
  bin = resolveBinary('revoke-mock', process.env.REVOKE_MOCK_BINARY, 'REVOKE_MOCK_BINARY');
} catch (err) {
  console.error(err.message);
  process.exit(1);
}
const child = spawn(bin, process.argv.slice(2), { stdio: 'inherit' });
const signals = /** @type {NodeJS.Signals[]} */ (['SIGINT', 'SIGTERM', 'SIGHUP']);
for (const sig of signals) {
  process.on(sig, () => child.kill(sig));
}
child.on('error', (err) => {
  console.error(`revoke-mock: cannot run ${bin}: ${err.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  if (signal) {
    // Die of the same signal, so that the caller sees what the binary saw.
    for (const sig of signals) process.removeAllListeners(sig);
    process.kill(process.pid, signal);
    return;
  }
  process.exit(code === null ? 1 : code);
});
