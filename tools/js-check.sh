#!/usr/bin/env bash
# make js-check: the npm packages as a frontend team gets them. Builds the
# host's binaries (tools/dist.sh) and the npm packages (tools/npm.sh),
# packs them, and installs the tarballs into an empty project holding a
# copy of examples/ with its pinned dependencies (examples/package-lock.json);
# then, in that project:
#   1. the generated types are those openapi-typescript makes from the spec
#   2. tsc --noEmit over the examples and the package's declarations, and
#      over the package's JavaScript (checkJs)
#   3. the Vitest example (revoke-mock/vitest and MSW in Node)
#   4. the Playwright example in Debian's Chromium (revoke-mock/playwright)
#   5. revoke-contract --strict against the MSW handlers served through
#      @mswjs/http-middleware exits 0, and fails against handlers that
#      revoke nothing (the revocation rules; so this check can fail)
#   6. npx revoke-contract --version and npx revoke-mock --version
#   7. no revoke-mock process of this run is left
# Needs Node/npm (the npm registry, for the pinned packages) and Chromium
# (CHROMIUM, default /usr/bin/chromium). Every wait has a deadline.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
say() { printf 'js-check [%s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
die() { say "FAILED: $*" >&2; exit 1; }

chromium=${CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || die "no Chromium at $chromium (apt-get install chromium, or set CHROMIUM)"
for c in node npm go; do command -v "$c" >/dev/null || die "$c is not on PATH"; done

version=v0.0.0-jscheck
work=$(mktemp -d "${TMPDIR:-/tmp}/js-check.XXXXXX")
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

goos=$(go env GOOS) goarch=$(go env GOARCH)
platform=$(node -p 'process.platform + "-" + process.arch')
say "binaries and npm packages ($version, $goos/$goarch) in $work"
VERSION=$version DIST_DIR="$work/dist" PLATFORMS="$goos/$goarch" tools/dist.sh >/dev/null
VERSION=$version DIST_DIR="$work/dist" NPM_DIR="$work/npm" tools/npm.sh >/dev/null
export npm_config_cache="$work/npm-cache" npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
tarballs=()
for pkg in revoke-mock "revoke-mock-$platform" revoke-contract "revoke-contract-$platform"; do
  out=$(cd "$work" && timeout 120 npm pack --silent "$work/npm/$pkg" | tail -1)
  tarballs+=("$work/$out")
done

say "an empty project: examples/ and its lockfile, then the tarballs"
project=$work/project
mkdir -p "$project"
(cd examples && tar --exclude=node_modules --exclude=test-results --exclude=playwright-report -cf - .) | (cd "$project" && tar -xf -)
cd "$project"
timeout 600 npm ci --ignore-scripts --no-audit --no-fund >"$work/npm-ci.log" 2>&1 || { tail -30 "$work/npm-ci.log"; die "npm ci"; }
timeout 300 npm install --no-save --offline --ignore-scripts --no-audit --no-fund "${tarballs[@]}" >"$work/npm-install.log" 2>&1 ||
  { tail -30 "$work/npm-install.log"; die "npm install of the tarballs"; }
bin=$project/node_modules/revoke-mock-$platform/bin/revoke-mock
[ -x "$bin" ] || die "the platform package did not install $bin"
unset REVOKE_MOCK_BINARY

say "1. lib/openapi.d.ts is what openapi-typescript makes of the spec"
timeout 120 node_modules/.bin/openapi-typescript "$root/npm/revoke-mock/lib/openapi.json" -o "$work/openapi.d.ts" >/dev/null 2>&1 ||
  die "openapi-typescript failed"
tail -n +2 node_modules/revoke-mock/lib/openapi.d.ts | diff -u - "$work/openapi.d.ts" ||
  die "npm/revoke-mock/lib/openapi.d.ts is stale: make js-types"

say "2. tsc --noEmit: the examples and the declarations (strict), the package's JavaScript (checkJs)"
timeout 300 node_modules/.bin/tsc -p tsconfig.json || die "tsc --noEmit"
timeout 300 node_modules/.bin/tsc -p tsconfig.lib.json || die "tsc --noEmit -p tsconfig.lib.json (the package's JavaScript)"

say "3. the Vitest example"
timeout 300 node_modules/.bin/vitest run -c vitest/vitest.config.ts </dev/null || die "vitest"

say "4. the Playwright example (Chromium: $chromium)"
CHROMIUM=$chromium timeout 600 node_modules/.bin/playwright test -c playwright/playwright.config.ts </dev/null || die "playwright"

# Starts the MSW server (env: $1) and sets msw_url; the server is killed at the end.
start_msw() {
  local log=$work/msw-$1.log i
  env MSW_SESSIONS="$1" node msw/server.cjs 0 >"$log" 2>&1 &
  pids+=($!)
  msw_pid=$!
  for i in $(seq 1 100); do
    msw_url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$log" | head -1 || true)
    [ -n "$msw_url" ] && return 0
    kill -0 "$msw_pid" 2>/dev/null || { cat "$log"; die "the MSW server exited"; }
    sleep 0.1
  done
  cat "$log"
  die "the MSW server did not say where it listens within 10 s"
}
token_cmd='node_modules/.bin/revoke-mock token --url "$CONTRACT_BASE_URL" --user "$CONTRACT_USER"'

say "5. revoke-contract --strict against the MSW handlers (@mswjs/http-middleware)"
start_msw issued
timeout 300 npx --offline revoke-contract --strict --base-url "$msw_url" --token-cmd "$token_cmd" --timeout 5s </dev/null ||
  die "revoke-contract --strict against the MSW handlers"
kill "$msw_pid"
start_msw off
set +e
timeout 300 npx --offline revoke-contract --strict --label-filter revocation --base-url "$msw_url" --token-cmd "$token_cmd" --timeout 5s </dev/null >"$work/off.log" 2>&1
rc=$?
set -e
kill "$msw_pid"
[ "$rc" = 1 ] || { tail -30 "$work/off.log"; die "the suite against handlers that revoke nothing: exit $rc, want 1"; }
grep -q 'FAIL.*REV-001' "$work/off.log" || { tail -30 "$work/off.log"; die "the suite did not name REV-001 against handlers that revoke nothing"; }
say "   ... and fails (exit 1, REV-001) against handlers that revoke nothing"

say "6. npx revoke-contract --version, npx revoke-mock --version"
out=$(timeout 60 npx --offline revoke-contract --version)
[[ $out == "revoke-contract $version "* ]] || die "npx revoke-contract --version: $out"
out=$(timeout 60 npx --offline revoke-mock --version)
[[ $out == "revoke-mock $version "* ]] || die "npx revoke-mock --version: $out"

say "7. no revoke-mock of this run is left"
# Every process whose program is this run's binary (by /proc, no procps needed).
left=()
for p in /proc/[0-9]*; do
  [ "$(readlink "$p/exe" 2>/dev/null)" = "$(readlink -f "$bin")" ] && left+=("${p#/proc/}")
done
((${#left[@]} == 0)) || die "revoke-mock processes started by the fixtures are still running: ${left[*]}"
say "js-check passed"
