#!/bin/bash
# The short fuzzing run, SECONDS (default 15) per driver: scripts/fuzz.sh --seconds SECONDS.
#   usage: fuzz/run.sh [SECONDS]
exec "$(dirname "$0")/../scripts/fuzz.sh" --seconds "${1:-15}"
