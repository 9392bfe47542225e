#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite: unit, integration and end-to-end
# tests (release build), the same under AddressSanitizer + UndefinedBehaviorSanitizer, and the
# libFuzzer targets for a short time, after clang-format and clang-tidy (scripts/lint.sh).
# Usage: scripts/test.sh [--quick] (--quick: the style checks and the release tests only)
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
[ "${1:-}" = "--quick" ] && quick=1
start=$(date +%s)
say() { printf '\n== %s (%ss)\n' "$*" $(( $(date +%s) - start )); }

say "dependencies"
scripts/install-deps.sh

say "release build"
scripts/build.sh release
say "style (clang-format, clang-tidy on the change: scripts/lint.sh)"
scripts/lint.sh
say "release tests"
ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 600

if [ "$quick" -eq 1 ]; then say "done (quick)"; exit 0; fi

say "sanitizer build (ASan + UBSan)"
scripts/build.sh asan
say "sanitizer tests"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$(nproc)" --timeout 900

say "fuzzing (every parser of outside input, 15 s each)"
scripts/fuzz.sh --seconds "${OPENCAPF_FUZZ_SECONDS:-15}"

say "all tests passed"
