#!/usr/bin/env node
// The revoke-contract launcher: runs the prebuilt binary of this platform,
// installed as an optional dependency (revoke-contract-<platform>-<arch>,
// as revoke-mock does), with the same arguments, forwarding signals and the
// exit status. REVOKE_CONTRACT_BINARY names another binary.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');

const key = `${process.platform}-${process.arch}`;
const supported = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64', 'win32-arm64'];
const goInstall = 'go install github.com/flashback/revoke-contract/contract/cmd/revoke-contract@latest';
let bin = process.env.REVOKE_CONTRACT_BINARY;
if (bin) {
  if (!fs.existsSync(bin)) {
    console.error(`revoke-contract: REVOKE_CONTRACT_BINARY=${bin} does not exist`);
    process.exit(1);
  }
} else {
  if (!supported.includes(key)) {
    console.error(`revoke-contract: no prebuilt binary for ${key}; with Go installed: ${goInstall}`);
    process.exit(1);
  }
  const pkg = `revoke-contract-${key}`;
  try {
    bin = require.resolve(`${pkg}/bin/revoke-contract${process.platform === 'win32' ? '.exe' : ''}`);
  } catch (err) {
    console.error(`revoke-contract: the package ${pkg} is not installed. It is an optional dependency of revoke-contract: ` +
      `reinstall without --omit=optional (or --no-optional), or with Go installed: ${goInstall}`);
    process.exit(1);
  }
}
const child = spawn(bin, process.argv.slice(2), { stdio: 'inherit' });
const signals = /** @type {NodeJS.Signals[]} */ (['SIGINT', 'SIGTERM', 'SIGHUP']);
for (const sig of signals) {
  process.on(sig, () => child.kill(sig));
}
child.on('error', (err) => {
  console.error(`revoke-contract: cannot run ${bin}: ${err.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  if (signal) {
    for (const sig of signals) process.removeAllListeners(sig);
    process.kill(process.pid, signal);
    return;
  }
  process.exit(code === null ? 1 : code);
});
