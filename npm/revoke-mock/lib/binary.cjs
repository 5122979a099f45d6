'use strict';
// Finds the prebuilt binary of this platform: the optional dependency
// <name>-<platform>-<arch> (the esbuild pattern), or the file named by an
// explicit option or environment variable. Shared by the bin launcher and
// the JS API; revoke-contract's launcher carries its own copy.
const fs = require('fs');

const supported = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64', 'win32-arm64'];

/**
 * @param {string} name the command: "revoke-mock"
 * @param {string | undefined} explicit a path given by the caller (option or environment variable)
 * @param {string} envName the environment variable that can name the binary, for messages
 * @returns {string} the binary's path
 */
function resolveBinary(name, explicit, envName) {
  const goInstall = `go install github.com/flashback/revoke-contract/mockserver/cmd/${name}@latest`;
  if (explicit) {
    let st;
    try {
      st = fs.statSync(explicit);
    } catch (err) {
      throw withCode(new Error(`${name}: the binary ${explicit} (from ${envName} or the binary option) does not exist`), 'REVOKE_MOCK_BINARY_MISSING');
    }
    if (!st.isFile()) {
      throw withCode(new Error(`${name}: ${explicit} (from ${envName} or the binary option) is not a file`), 'REVOKE_MOCK_BINARY_MISSING');
    }
    return explicit;
  }
  const key = `${process.platform}-${process.arch}`;
  if (!supported.includes(key)) {
    throw withCode(new Error(`${name}: no prebuilt binary for ${key}; with Go installed: ${goInstall}, then set ${envName} to its path`),
      'REVOKE_MOCK_BINARY_MISSING');
  }
  const pkg = `${name}-${key}`;
  try {
    return require.resolve(`${pkg}/bin/${name}${process.platform === 'win32' ? '.exe' : ''}`);
  } catch (err) {
    throw withCode(new Error(`${name}: the package ${pkg} is not installed. It is an optional dependency of ${name}: ` +
      `reinstall without --omit=optional (or --no-optional), or set ${envName} to a ${name} binary (with Go installed: ${goInstall})`),
    'REVOKE_MOCK_BINARY_MISSING');
  }
}

/** @template {Error} E @param {E} err @param {string} code @returns {E} */
function withCode(err, code) {
  Object.defineProperty(err, 'code', { value: code, enumerable: true });
  return err;
}

module.exports = { resolveBinary, withCode, supported };
