#!/usr/bin/env bash
# Installs the pinned npm tools (tools/package.json, tools/package-lock.json:
# Spectral, Redocly, Prism) as tools/node_modules, for make npm-tools.
#
# npm ci takes about a minute even when npm's own cache holds every package
# (it unpacks some 380 of them), and a fresh clone has no node_modules. So
# the install is kept in a cache folder named by a hash of package.json, the
# lockfile and Node's major version, and tools/node_modules is a link to it:
# a fresh clone of a commit whose lockfile this machine installed before
# links in a moment, and a changed lockfile gets an install of its own. The
# install goes to a temporary folder renamed into place when complete, so
# an interrupted one is never used and two clones may install at once.
#
#   REVOKE_NPM_TOOLS_CACHE=DIR   the cache (default: $XDG_CACHE_HOME or
#                                ~/.cache, then revoke-contract/npm-tools)
#   REVOKE_NPM_TOOLS_CACHE=off   npm ci into tools/node_modules itself
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
npm=${NPM:-npm}
dest=$here/node_modules
flags=(--no-audit --no-fund --ignore-scripts)
cache=${REVOKE_NPM_TOOLS_CACHE:-}
if [ -z "$cache" ]; then
  base=${XDG_CACHE_HOME:-${HOME:+$HOME/.cache}}
  cache=${base:+$base/revoke-contract/npm-tools}
  cache=${cache:-off} # neither set: nowhere to keep it
fi

if [ "$cache" = off ]; then
  if [ -L "$dest" ]; then rm "$dest"; fi
  (cd "$here" && "$npm" ci "${flags[@]}")
  touch "$dest/.installed"
  exit 0
fi

key=$({ cat "$here/package.json" "$here/package-lock.json"; node --version | cut -d. -f1; } | sha256sum | cut -c1-16)
dir=$cache/$key
if [ ! -f "$dir/node_modules/.installed" ]; then
  mkdir -p "$cache"
  # A folder without the mark is not one this script renamed into place.
  [ ! -e "$dir" ] || rm -rf "$dir"
  tmp=$(mktemp -d "$cache/.install.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  cp "$here/package.json" "$here/package-lock.json" "$tmp/"
  (cd "$tmp" && "$npm" ci "${flags[@]}")
  touch "$tmp/node_modules/.installed"
  # Another clone may have renamed its install (the same one) first.
  mv -T "$tmp" "$dir" 2>/dev/null || [ -f "$dir/node_modules/.installed" ]
fi
# An install of npm ci's own, from before this script or with the cache off.
if [ -e "$dest" ] && [ ! -L "$dest" ]; then rm -rf "$dest"; fi
ln -sfn "$dir/node_modules" "$dest"
echo "npm-tools: tools/node_modules -> $dir/node_modules"
