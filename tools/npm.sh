#!/usr/bin/env bash
# make npm VERSION=v0.x.y (after make dist): the npm packages of revoke-mock
# and revoke-contract from the binaries in DIST_DIR (default dist/) into
# NPM_DIR (default dist/npm/): for each command, the package of npm/<command>
# (the launcher, for revoke-mock also its JS API, fixtures and MSW
# handlers, with every platform package as an optional dependency) and one
# package per platform binary found (<command>-<node platform>-<node arch>,
# with "os" and "cpu" so npm installs only the one that fits), each stamped
# with VERSION without its "v". Nothing is published: see docs/releasing.md.
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
for cmd in revoke-mock revoke-contract; do
  # The package's own files (npm pack takes what its "files" lists).
  mkdir -p "$out/$cmd"
  cp -R "npm/$cmd/package.json" "npm/$cmd/README.md" "npm/$cmd/bin" "$out/$cmd/"
  if [ -d "npm/$cmd/lib" ]; then cp -R "npm/$cmd/lib" "$out/$cmd/"; fi
  found=0
  for goos in linux darwin windows; do
    for goarch in amd64 arm64; do
      ext=
      [ "$goos" = windows ] && ext=.exe
      bin=$dist/$cmd-$goos-$goarch$ext
      [ -f "$bin" ] || continue
      os=$goos; [ "$goos" = windows ] && os=win32
      cpu=x64; [ "$goarch" = arm64 ] && cpu=arm64
      pkg=$cmd-$os-$cpu
      mkdir -p "$out/$pkg/bin"
      cp "$bin" "$out/$pkg/bin/$cmd$ext"
      chmod 755 "$out/$pkg/bin/$cmd$ext"
      CMD=$cmd PKG=$pkg VERSION=$version OS=$os CPU=$cpu node -e '
        const p = { name: process.env.PKG, version: process.env.VERSION,
          description: `The ${process.env.CMD} binary for ${process.env.OS} ${process.env.CPU} (installed by the ${process.env.CMD} package)`,
          license: "UNLICENSED", repository: { type: "git", url: "https://github.com/flashback/revoke-contract" },
          os: [process.env.OS], cpu: [process.env.CPU], files: ["bin"], preferUnplugged: true };
        require("fs").writeFileSync(process.argv[1], JSON.stringify(p, null, 2) + "\n");' "$out/$pkg/package.json"
      echo "npm: $pkg $version"
      found=$((found + 1))
    done
  done
  ((found > 0)) || die "no $cmd binary in $dist/: run make dist VERSION=v$version first"
  VERSION=$version node -e '
    const f = process.argv[1], p = JSON.parse(require("fs").readFileSync(f, "utf8"));
    p.version = process.env.VERSION;
    for (const d of Object.keys(p.optionalDependencies)) p.optionalDependencies[d] = process.env.VERSION;
    require("fs").writeFileSync(f, JSON.stringify(p, null, 2) + "\n");' "$out/$cmd/package.json"
  echo "npm: $cmd $version and $found platform package(s) in $out/"
done
echo "npm: npm pack, or npm publish each (the platform packages first): docs/releasing.md"
