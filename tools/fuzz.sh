#!/usr/bin/env bash
# make fuzz FUZZTIME=30s: explore every Go fuzz target of the module for
# FUZZTIME each (go test -fuzz takes one target of one package at a time).
# make test never explores: plain go test runs only each target's committed
# seeds (f.Add and testdata/fuzz/<Target>), as deterministic tests. A crasher
# that exploring finds is written under testdata/fuzz/<Target>/ by go test:
# fix the bug and commit that file, so it stays a seed.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-30s}
go=${GO:-go}
found=0 failed=()
# Targets are found in the source (func FuzzXxx(f *testing.F) in a _test.go
# file), not with go test -list, which would build every package's tests.
while IFS=: read -r file target; do
  found=$((found + 1))
  pkg=./$(dirname "$file")
  echo "== $pkg $target ($fuzztime)"
  if ! $go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"; then
    failed+=("$pkg $target")
  fi
done < <(grep -rEo --include='*_test.go' --exclude-dir=node_modules --exclude-dir=testdata \
  '^func Fuzz[A-Za-z0-9_]*\(' . | sed -E 's#^\./##; s#:func (Fuzz[A-Za-z0-9_]*)\($#:\1#' | sort)
if ((found == 0)); then
  echo "fuzz: no fuzz target found" >&2
  exit 1
fi
if ((${#failed[@]} > 0)); then
  printf 'fuzz: FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "fuzz: $found targets explored for $fuzztime each, no failure"
