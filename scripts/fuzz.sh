#!/bin/bash
# Builds the libFuzzer drivers (clang++-14, build-fuzz/) and runs them one after another.
#   scripts/fuzz.sh [--seconds N] [DRIVER...]        short run, N s each (default 15; what CI runs)
#   scripts/fuzz.sh --long [SECONDS] [DRIVER...]     long run, SECONDS each (default 3600)
# A short run starts from a scratch copy of fuzz/corpus/NAME. A long run keeps its corpus in
# build-fuzz/corpus-NAME between runs (seeded from fuzz/corpus/NAME) and appends one line per
# driver to build-fuzz/fuzz-hours.log; the crash-free hours so far are printed at the end.
# Exits non-zero if a driver crashes, leaks, times out or fails to build; crash inputs are kept in
# build-fuzz/artifacts/. OPENCAPF_FUZZ_NO_BUILD=1 skips the build; FUZZ_JOBS sets ninja's -j.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-fuzz
all=(fuzz_codec fuzz_frames fuzz_csr fuzz_certificate fuzz_csv fuzz_offline_import fuzz_api_json
     fuzz_config fuzz_trust_list)

long=0
seconds=15
if [ "${1:-}" = "--long" ]; then
  long=1
  seconds=3600
  shift
  if [[ "${1:-}" =~ ^[0-9]+$ ]]; then seconds=$1; shift; fi
elif [ "${1:-}" = "--seconds" ]; then
  seconds=$2
  shift 2
fi
drivers=("$@")
if [ ${#drivers[@]} -eq 0 ]; then
  drivers=("${all[@]}")
fi

if [ "${OPENCAPF_FUZZ_NO_BUILD:-0}" != 1 ]; then
  source "$root/scripts/ccache-env.sh"
  CXX=clang++-14 CC=clang-14 cmake -S "$root" -B "$build" -G Ninja -DOPENCAPF_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo "${ccache_flags[@]}" >/dev/null
  ninja -C "$build" -j"${FUZZ_JOBS:-2}" "${drivers[@]}"
fi

# The corpus directory a run works in: persistent for --long, a scratch copy otherwise.
corpus_for() {
  local name=${1#fuzz_} dir
  if [ "$long" -eq 1 ]; then
    dir=$build/corpus-$name
    mkdir -p "$dir"
  else
    dir=$(mktemp -d "$build/corpus-$name.XXXXXX")
  fi
  cp -n "$root/fuzz/corpus/$name/"* "$dir/"
  echo "$dir"
}

stat_of() {  # stat_of LOG NAME: a -print_final_stats value
  grep -oE "stat::$2: *[0-9]+" "$1" | grep -oE "[0-9]+$" || echo 0
}

mkdir -p "$build/artifacts"
status=0
for driver in "${drivers[@]}"; do
  work=$(corpus_for "$driver")
  log=$build/$driver.log
  echo "== $driver: ${seconds}s on $(ls "$work" | wc -l) inputs"
  start=$(date +%s)
  result=ok
  if ! "$build/fuzz/$driver" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$build/artifacts/$driver-" "$work" \
      >"$log" 2>&1; then
    result=crash
    status=1
    echo "!! $driver found a problem (log: $log):"
    grep -E "ERROR|invariant|SUMMARY|Test unit written" "$log" | head -20 || true
  fi
  elapsed=$(( $(date +%s) - start ))
  execs=$(stat_of "$log" number_of_executed_units)
  echo "   $execs executions in ${elapsed}s, peak $(stat_of "$log" peak_rss_mb) MB," \
       "corpus $(ls "$work" | wc -l) inputs"
  if [ "$long" -eq 1 ]; then
    echo "$(date -u +%FT%TZ) $driver $elapsed $execs $result" >>"$build/fuzz-hours.log"
  else
    rm -rf "$work"
  fi
done

if [ "$long" -eq 1 ]; then
  awk '$5 == "ok" { s[$2] += $3 } END { for (d in s) printf "   %s: %.2f crash-free hours\n", d, s[d] / 3600 }' \
    "$build/fuzz-hours.log" | sort
fi
exit $status
