#!/usr/bin/env bash
# Builds the Debian package OUT_DIR/opencapf_VERSION_amd64.deb (default OUT_DIR: build/package):
# the release build of the opencapf binary and the package's generated files only (man pages, the
# default configuration), then CPack's DEB generator (cmake/packaging.cmake, docs/packaging.md).
# Usage: scripts/package.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-build/package}")
scripts/install-deps.sh
scripts/build.sh release opencapf opencapf_package_files
rm -rf build/cpack
cpack --config build/CPackConfig.cmake -B build/cpack >build/cpack.log 2>&1 ||
  { cat build/cpack.log >&2; exit 1; }
mkdir -p "$out"
for deb in build/cpack/opencapf_*_amd64.deb; do
  cp "$deb" "$out/"
  echo "package: $out/$(basename "$deb")"
done
