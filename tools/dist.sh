#!/usr/bin/env bash
# make dist VERSION=v0.x.y: static release binaries of revoke-mock and
# revoke-contract (CGO_ENABLED=0, -trimpath) for every platform in PLATFORMS
# (default: linux, darwin and windows on amd64 and arm64), named
# <command>-<os>-<arch>[.exe], into DIST_DIR (default dist/), with a
# SHA256SUMS file. --version prints VERSION, the commit and the hash of the
# embedded spec. revoke-mock is built with its profile-guided optimisation
# profile (mockserver/cmd/revoke-mock/revoke-mock.pgo, made by make pgo).
# Nothing is published: see docs/releasing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
die() { echo "dist: $*" >&2; exit 2; }

version=${VERSION:-}
[[ $version =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] ||
  die "VERSION=${version:-(unset)}: want a semantic version such as v0.4.0 (make dist VERSION=v0.4.0)"
out=${DIST_DIR:-dist}
platforms=${PLATFORMS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64}
go=${GO:-go}
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ "$commit" != unknown ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  commit+=-dirty
fi
module=github.com/flashback/revoke-contract
ldflags="-s -w -X $module/internal/version.Version=$version -X $module/internal/version.Commit=$commit"

rm -rf "$out"
mkdir -p "$out"
for platform in $platforms; do
  os=${platform%/*} arch=${platform#*/} ext=
  [ "$os" = windows ] && ext=.exe
  for cmd in mockserver/cmd/revoke-mock contract/cmd/revoke-contract; do
    name=$(basename "$cmd")-$os-$arch$ext
    pgo=off
    [ -f "$cmd/$(basename "$cmd").pgo" ] && pgo=$cmd/$(basename "$cmd").pgo
    echo "dist: $name (pgo: $pgo)"
    CGO_ENABLED=0 GOOS=$os GOARCH=$arch $go build -trimpath -pgo="$pgo" -ldflags "$ldflags" -o "$out/$name" "./$cmd"
  done
done
(cd "$out" && sha256sum revoke-* > SHA256SUMS)
echo "dist: $version ($commit) in $out/: $(ls "$out" | grep -vc SHA256SUMS) binaries, SHA256SUMS"
