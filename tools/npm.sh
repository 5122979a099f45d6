#!/usr/bin/env bash
# make npm VERSION=v0.x.y (after make dist): the npm packages of revoke-mock
# from the binaries in DIST_DIR (default dist/) into NPM_DIR (default
# dist/npm/): revoke-mock (the launcher, npm/revoke-mock, with every
# platform package as an optional dependency) and one package per platform
# binary found (revoke-mock-<node platform>-<node arch>, with "os" and
# "cpu" so npm installs only the one that fits), each stamped with VERSION
# without its "v". Nothing is published: see docs/releasing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
die() { echo "npm: $*" >&2; exit 2; }
version=${VERSION:-}
[[ $version =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] ||
  die "VERSION=${version:-(unset)}: want the version make dist was given, such as v0.4.0"
version=${version#v}
dist=${DIST_DIR:-dist}
out=${NPM_DIR:-$dist/npm}
command -v node >/dev/null || die "node is required (it writes the package.json files)"

rm -rf "$out"
mkdir -p "$out"
cp -R npm/revoke-mock "$out/revoke-mock"
found=0
for goos in linux darwin windows; do
  for goarch in amd64 arm64; do
    ext=
    [ "$goos" = windows ] && ext=.exe
    bin=$dist/revoke-mock-$goos-$goarch$ext
    [ -f "$bin" ] || continue
    os=$goos; [ "$goos" = windows ] && os=win32
    cpu=x64; [ "$goarch" = arm64 ] && cpu=arm64
    pkg=revoke-mock-$os-$cpu
    mkdir -p "$out/$pkg/bin"
    cp "$bin" "$out/$pkg/bin/revoke-mock$ext"
    chmod 755 "$out/$pkg/bin/revoke-mock$ext"
    PKG=$pkg VERSION=$version OS=$os CPU=$cpu node -e '
      const p = { name: process.env.PKG, version: process.env.VERSION,
        description: `The revoke-mock binary for ${process.env.OS} ${process.env.CPU} (installed by the revoke-mock package)`,
        license: "UNLICENSED", repository: { type: "git", url: "https://github.com/flashback/revoke-contract" },
        os: [process.env.OS], cpu: [process.env.CPU], files: ["bin"], preferUnplugged: true };
      require("fs").writeFileSync(process.argv[1], JSON.stringify(p, null, 2) + "\n");' "$out/$pkg/package.json"
    echo "npm: $pkg $version"
    found=$((found + 1))
  done
done
((found > 0)) || die "no revoke-mock binary in $dist/: run make dist VERSION=v$version first"
VERSION=$version node -e '
  const f = process.argv[1], p = JSON.parse(require("fs").readFileSync(f, "utf8"));
  p.version = process.env.VERSION;
  for (const d of Object.keys(p.optionalDependencies)) p.optionalDependencies[d] = process.env.VERSION;
  require("fs").writeFileSync(f, JSON.stringify(p, null, 2) + "\n");' "$out/revoke-mock/package.json"
echo "npm: revoke-mock $version and $found platform package(s) in $out/ (npm pack, or npm publish each: docs/releasing.md)"
