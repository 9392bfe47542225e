#!/usr/bin/env bash
# Configures and builds opencapf. Usage: scripts/build.sh [release|asan] [TARGET...]
# (default release, every target; scripts/run.sh asks for the opencapf binary alone).
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
shift || true
jobs=$(nproc)
case "$flavour" in
  release) dir=build; flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  asan) dir=build-asan; flags=(-DCMAKE_BUILD_TYPE=Debug -DOPENCAPF_SANITIZE=ON) ;;
  *) echo "usage: scripts/build.sh [release|asan]" >&2; exit 2 ;;
esac
source scripts/ccache-env.sh
cmake -S . -B "$dir" -G Ninja "${flags[@]}" "${ccache_flags[@]}" >/dev/null
ninja -C "$dir" -j "$jobs" "$@"
