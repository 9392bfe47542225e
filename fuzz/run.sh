#!/bin/bash
# Builds the libFuzzer drivers with clang++-14 in build-fuzz/ and runs each for SECONDS (default 30)
# on a scratch copy of its seed corpus. Exits non-zero if a driver crashes, leaks, times out or
# fails to build; crash inputs are kept in build-fuzz/artifacts/.
#   usage: fuzz/run.sh [SECONDS]
set -euo pipefail

seconds=${1:-30}
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-fuzz
jobs=${FUZZ_JOBS:-2}

CXX=clang++-14 cmake -S "$root" -B "$build" -G Ninja -DOPENCAPF_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$build" -j"$jobs" fuzz_codec fuzz_frames

mkdir -p "$build/artifacts"
status=0
for pair in fuzz_codec:codec fuzz_frames:frames; do
  driver=${pair%%:*}
  corpus=${pair##*:}
  work=$(mktemp -d "$build/corpus-$corpus.XXXXXX")
  cp "$root/fuzz/corpus/$corpus/"* "$work/"
  echo "== $driver: ${seconds}s on $(ls "$work" | wc -l) seeds"
  if ! "$build/fuzz/$driver" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$build/artifacts/$driver-" "$work" \
      >"$build/$driver.log" 2>&1; then
    echo "!! $driver found a problem (log: $build/$driver.log):"
    grep -E "ERROR|invariant|SUMMARY|Test unit written" "$build/$driver.log" | head -20 || true
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$build/$driver.log" || true
    echo "   corpus grew to $(ls "$work" | wc -l) inputs"
  fi
  rm -rf "$work"
done
exit $status
