#!/usr/bin/env bash
# Installs what opencapf needs to build, run and test on Debian 12 (bookworm).
# Idempotent: packages already present are skipped, so a second run costs about a second.
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build pkg-config clang-14 libclang-rt-14-dev clang-format clang-tidy ccache
  # libraries
  libssl-dev openssl libsqlite3-dev libboost-dev nlohmann-json3-dev libcli11-dev
  libspdlog-dev libfmt-dev libtomlplusplus-dev libcurl4-openssl-dev libarchive-dev libsystemd-dev
  # tests and benchmarks, and the real CA servers the online-CA tests talk to
  libgtest-dev libgmock-dev libbenchmark-dev scep pebble golang-cfssl iproute2 util-linux curl jq
  strace
  # the PostgreSQL registry (libpq) and the throwaway server its tests start (initdb, pg_ctl)
  libpq-dev postgresql
  # the PKCS#11 key source and its tests (SoftHSM2 token, libp11 engine, pkcs11-tool)
  softhsm2 opensc libengine-pkcs11-openssl libp11-dev
  # the Debian package (scripts/package.sh) and its test: CPack's dpkg-shlibdeps, man pages from
  # --help, lintian, systemd-analyze, a fresh Debian root
  dpkg-dev file help2man lintian systemd mmdebstrap
  # the web console's browser test: Debian's Chromium driven by playwright-core from npm
  chromium chromium-driver nodejs
)
# Debian's npm conflicts with a nodejs that bundles its own (NodeSource's): ask for it only if
# there is no npm at all.
if ! command -v npm >/dev/null 2>&1; then packages+=(npm); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
else
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The console test's npm packages, exactly as locked in tests/console/package-lock.json (again
# when the installed playwright-core is not the version package.json asks for). playwright-core
# 1.61 is the newest that runs on Debian 12's Node.js 18.
console_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/console"
want=$(sed -n 's/.*"playwright-core": "\([^"]*\)".*/\1/p' "$console_dir/package.json")
have=$(sed -n 's/^  "version": "\([^"]*\)".*/\1/p' \
  "$console_dir/node_modules/playwright-core/package.json" 2>/dev/null || true)
if [ "$want" != "$have" ]; then
  echo "install-deps: npm ci in tests/console (playwright-core $want)"
  (cd "$console_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
echo "install-deps: done"
