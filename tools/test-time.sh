#!/usr/bin/env bash
# Measures `make test` the way docs/testing.md reports it: in a fresh clone
# of HEAD (committed work only), with the caches as they are (warm), or with
# --new-machine, with every cache a new machine lacks emptied first: the Go
# build cache, the module cache, npm's cache and the installed staticcheck
# (Debian packages, Go and Node themselves stay: .ci/run installs the
# former, a new machine has the latter). Prints each line of make's output
# with the seconds since the start, then the total.
#
#   tools/test-time.sh                 # warm: a fresh clone, warm caches
#   tools/test-time.sh --new-machine   # cold: nothing cached
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
mode=warm
[ "${1:-}" = "--new-machine" ] && mode=new-machine
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
git clone -q "$top" "$work/main"
if [ "$mode" = new-machine ]; then
  export GOCACHE="$work/cache/go-build" GOMODCACHE="$work/cache/go-mod" \
         npm_config_cache="$work/cache/npm" XDG_CACHE_HOME="$work/cache/xdg"
fi
export CI=true REVOKE_REQUIRE_TOOLS=1
cd "$work/main"
start=$(date +%s.%N)
set +e
make test 2>&1 | while IFS= read -r line; do
  printf '%7.1f  %s\n' "$(echo "$(date +%s.%N) - $start" | bc)" "$line"
done
rc=${PIPESTATUS[0]}
set -e
total=$(echo "$(date +%s.%N) - $start" | bc)
printf '\nmake test (%s, %s): exit %d in %.0f s\n' "$mode" "$(git rev-parse --short HEAD)" "$rc" "$total"
exit "$rc"
