#!/usr/bin/env bash
# Quick start: installs what is missing, builds the opencapf binary alone (not the tests: those are
# scripts/test.sh's), initialises a data directory if needed and serves phones on 127.0.0.1:3804.
# Usage: scripts/run.sh [DATA_DIR] [extra `opencapf serve` options]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release opencapf
data=${1:-$PWD/var/data}
shift || true
export OPENCAPF_DATA=$data
echo "data directory: $data (export OPENCAPF_DATA=$data to manage it with ./build/apps/opencapf/opencapf)"
exec ./build/apps/opencapf/opencapf serve --data "$data" --listen 127.0.0.1:3804 "$@"
