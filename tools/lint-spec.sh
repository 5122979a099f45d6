#!/usr/bin/env bash
# Lints an OpenAPI file with Spectral (spectral:oas, tools/.spectral.yaml) and
# Redocly (recommended, tools/redocly.yaml). Fails on any error, warning, info
# or hint of Spectral and on any error, warning or ignored problem of Redocly.
# Redocly exits 0 on warnings, so its JSON totals are read instead.
# Usage: tools/lint-spec.sh SPEC
set -euo pipefail
spec=${1:?usage: tools/lint-spec.sh SPEC}
here=$(cd "$(dirname "$0")" && pwd)
bin="$here/node_modules/.bin"
for t in spectral redocly; do
  [ -x "$bin/$t" ] || { echo "lint-spec: $bin/$t is missing: run 'make npm-tools'" >&2; exit 2; }
done
case "$spec" in
  *[\*\?\[\]\(\)\{\}!]*) echo "lint-spec: $spec: Spectral reads a path as a glob; use a path without *?[](){}!" >&2; exit 2 ;;
esac
export NO_COLOR=1 SCARF_ANALYTICS=false REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
status=0

echo "== Spectral (spectral:oas) on $spec"
"$bin/spectral" lint --fail-severity=hint --ruleset "$here/.spectral.yaml" "$spec" || status=1

echo "== Redocly (recommended) on $spec"
json=$(mktemp) errs=$(mktemp)
trap 'rm -f "$json" "$errs"' EXIT
# The findings are in the JSON, printed below; stderr holds banners and the
# summary, shown only when there is no JSON report.
rc=0
"$bin/redocly" lint --format=json --lint-config=error --config "$here/redocly.yaml" "$spec" >"$json" 2>"$errs" || rc=$?
if ! node -e '
  let r;
  try { r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); }
  catch (e) { console.log("  Redocly wrote no report:"); process.exit(1); }
  for (const p of r.problems || []) {
    const at = (p.location && p.location[0]) || {};
    const pos = at.start ? `${at.start.line}:${at.start.col}` : (at.pointer || "");
    console.log(`  ${pos}  ${p.severity}  ${p.ruleId}  ${p.message}`);
  }
  const t = r.totals || {};
  console.log(`  Redocly: ${t.errors} errors, ${t.warnings} warnings, ${t.ignored} ignored`);
  process.exit(t.errors === 0 && t.warnings === 0 && t.ignored === 0 ? 0 : 1);
' "$json"; then
  [ -s "$json" ] || grep -vE '^\s*[║╔╚]' "$errs" | sed 's/^/  /'
  status=1
fi
if [ "$rc" -ne 0 ] && [ "$status" -eq 0 ]; then
  echo "lint-spec: Redocly exited $rc without reporting a problem; rerun it by hand:" >&2
  echo "  $bin/redocly lint --config $here/redocly.yaml $spec" >&2
  status=1
fi

if [ "$status" -ne 0 ]; then
  echo "lint-spec: FAILED: $spec has lint findings (see above)" >&2
else
  echo "lint-spec: $spec is clean (Spectral and Redocly: no error, warning or hint)"
fi
exit $status
