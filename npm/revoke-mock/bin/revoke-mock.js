#!/usr/bin/env node
// The revoke-mock launcher: runs the prebuilt binary of this platform,
// installed as an optional dependency (revoke-mock-<platform>-<arch>; the
// esbuild pattern: no download at install time, so it works offline, behind
// proxies and with --ignore-scripts), with the same arguments, forwarding
// signals and the exit status.
'use strict';
const { spawn } = require('child_process');

const key = `${process.platform}-${process.arch}`;
const supported = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64', 'win32-arm64'];
const goInstall = 'go install github.com/flashback/revoke-contract/mockserver/cmd/revoke-mock@latest';
if (!supported.includes(key)) {
  console.error(`revoke-mock: no prebuilt binary for ${key}; with Go installed: ${goInstall}`);
  process.exit(1);
}
const pkg = `revoke-mock-${key}`;
let bin;
try {
  bin = require.resolve(`${pkg}/bin/revoke-mock${process.platform === 'win32' ? '.exe' : ''}`);
} catch (err) {
  console.error(`revoke-mock: the package ${pkg} is not installed. It is an optional dependency of revoke-mock: ` +
    `reinstall without --omit=optional (or --no-optional), or with Go installed: ${goInstall}`);
  process.exit(1);
}
const child = spawn(bin, process.argv.slice(2), { stdio: 'inherit' });
const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
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
