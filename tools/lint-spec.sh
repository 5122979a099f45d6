#!/usr/bin/env bash
# Lints an OpenAPI file with Spectral (spectral:oas) and Redocly (recommended)
# and fails on any error or warning of either. Redocly exits 0 on warnings,
# so its summary line is read too.
set -uo pipefail
spec=${1:?usage: tools/lint-spec.sh SPEC}
here=$(cd "$(dirname "$0")" && pwd)
bin="$here/node_modules/.bin"
for t in spectral redocly; do
  [ -x "$bin/$t" ] || { echo "lint-spec: $bin/$t is missing: run 'make npm-tools'" >&2; exit 2; }
done
status=0
echo "== Spectral (spectral:oas) on $spec"
"$bin/spectral" lint --fail-severity=warn --ruleset "$here/.spectral.yaml" "$spec" || status=1
echo "== Redocly (recommended) on $spec"
out=$(NO_COLOR=1 "$bin/redocly" lint --config "$here/redocly.yaml" "$spec" 2>&1) || status=1
# Drop Redocly's boxed Node.js deprecation banner; keep every finding.
printf '%s\n' "$out" | grep -vE '^\s*[║╔╚]'
if printf '%s\n' "$out" | grep -qE '[0-9]+ warnings?\b'; then
  echo "lint-spec: Redocly reported warnings" >&2
  status=1
fi
exit $status
