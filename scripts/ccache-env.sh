# Sourced by scripts/build.sh and scripts/fuzz.sh: when ccache is installed (install-deps.sh
# installs it), compiles go through it, so a build from another clone of the repository (a clean
# clone in CI) reuses the objects an earlier build compiled from the same sources and flags.
# Paths under the checkout are hashed relative to it, so the clone's location does not matter.
# Sets ccache_flags (CMake arguments, empty without ccache) and exports ccache's settings.
ccache_flags=()
if command -v ccache >/dev/null 2>&1 && [ "${OPENCAPF_NO_CCACHE:-0}" != 1 ]; then
  CCACHE_BASEDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  export CCACHE_BASEDIR CCACHE_NOHASHDIR=true
  ccache_flags=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
