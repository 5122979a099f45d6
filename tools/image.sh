#!/usr/bin/env bash
# make image VERSION=v0.x.y (after make dist): the revoke-mock container image
# (Containerfile, FROM scratch) for linux/amd64, tagged revoke-mock:VERSION,
# with buildah (offline: FROM scratch needs no registry). BUILDAH_FLAGS adds
# global buildah flags (the tests give --root and --runroot of their own).
set -euo pipefail
cd "$(dirname "$0")/.."
die() { echo "image: $*" >&2; exit 2; }
version=${VERSION:-}
[[ $version =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || die "VERSION=${version:-(unset)}: want the version make dist was given"
dist=${DIST_DIR:-dist}
arch=${IMAGE_ARCH:-amd64}
bin=$dist/revoke-mock-linux-$arch
[ -x "$bin" ] || die "$bin is missing: run make dist VERSION=$version first"
command -v buildah >/dev/null || die "buildah is required (apt-get install buildah)"
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp "$bin" "$ctx/revoke-mock"
# shellcheck disable=SC2086
buildah ${BUILDAH_FLAGS:-} --storage-driver vfs bud --isolation chroot --arch "$arch" \
  --label org.opencontainers.image.version="$version" -t "revoke-mock:$version" -f Containerfile "$ctx"
