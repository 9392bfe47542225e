#!/usr/bin/env bash
# `opencapf bench`: every option it refuses is refused with a message naming it (exit 2), and a
# run with tiny counts (not timed: seconds, a smoke test) reports every figure, on disk and on
# tmpfs. Usage: bench_end_to_end.sh /path/to/opencapf
OPENCAPF=${1:?usage: bench_end_to_end.sh /path/to/opencapf}
source "$(dirname "$0")/lib.sh"

# A directory on disk whatever /tmp is (it is tmpfs on many systems), removed at exit.
DISK=$(mktemp -d /var/tmp/opencapf-bench-test.XXXXXX)
SHM=$(mktemp -d /dev/shm/opencapf-bench-test.XXXXXX)
trap 'cleanup; rm -rf "$DISK" "$SHM"' EXIT
TINY=(--sessions 4 --concurrency 2 --parked 0 --ceiling-seconds 1)

step "refusals name the option"
refused() {
  local want=$1; shift
  expect_exit 2 "$OPENCAPF" bench "$@"
  contains "$WORK/out.txt" "$want"
}
refused "--phone-key" --phone-key rsa:12
refused "--phone-key" --phone-key dsa:2048
refused "--capf-key" --capf-key ec:p999
refused "--data-on must be disk or tmpfs, not 'ssd'" --data-on ssd
refused "--sessions, --concurrency" --sessions 0
refused "--sessions, --concurrency" --concurrency 0
refused "--parked-wave" --parked-wave 0
refused "--parked and --fsync-sessions must be at least 0" --parked -1
refused "--parked and --fsync-sessions must be at least 0" --fsync-sessions -1
refused "--ceiling-seconds must be at least 1" --ceiling-seconds 0
refused "--worker-threads: [server] worker_threads = 257 is out of range: use 0 to 256" \
  --worker-threads 257
refused "--worker-threads: [server] worker_threads = -1 is out of range: use 0 to 256" \
  --worker-threads -1
refused "--ca-delay-ms must be 0 to 10000 milliseconds, not -5" --ca-delay-ms -5
refused "--ca-delay-ms must be 0 to 10000 milliseconds, not 20000" --ca-delay-ms 20000
refused "--ca-sessions and --ca-concurrency must be at least 1" --ca-delay-ms 0 --ca-sessions 0
refused "--ca-sessions and --ca-concurrency must be at least 1" --ca-delay-ms 0 --ca-concurrency 0
expect_exit 2 env PATH=/nonexistent "$OPENCAPF" bench --ca-delay-ms 0
contains "$WORK/out.txt" "--ca-delay-ms needs cfssl on PATH: install Debian's golang-cfssl"
# --work must sit on the filesystem --data-on names.
refused "is on tmpfs, but --data-on disk was asked" "${TINY[@]}" --work "$SHM/w"
refused "but --data-on tmpfs was asked" "${TINY[@]}" --data-on tmpfs --work "$DISK/w"
[ ! -e "$DISK/w/data" ] || fail "a refused run left a data directory"

step "a tiny run on disk reports every figure"
# --hold is the older name of --parked and is kept.
# More parked than the server's default per-address limit (32): they all come from 127.0.1.1.
expect_exit 0 "$OPENCAPF" bench --sessions 6 --concurrency 3 --hold 40 --parked-wave 20 \
  --fsync-sessions 5 --ceiling-seconds 1 --work "$DISK/run" --json
cp "$WORK/out.txt" "$WORK/disk.json"
check() {  # check FILE JQ-EXPRESSION: the expression must be true of the report
  jq -e "$2" "$1" >/dev/null || { cat "$1" >&2; fail "report $1: expected $2"; }
}
R=$WORK/disk.json
check "$R" '.sessions == 6 and .succeeded == 6 and .concurrency == 3'
check "$R" '.phone_key == "rsa:2048" and .capf_key == "rsa:2048"'  # the defaults
check "$R" '.data_on == "disk" and .data_filesystem != "tmpfs" and (.data_filesystem | length) > 0'
check "$R" '.sessions_per_second > 0 and .seconds > 0'
check "$R" '.p50_ms > 0 and .p50_ms <= .p99_ms and .p99_ms <= .max_ms'
check "$R" '.sign_ops_per_second_one_core > 0 and .sign_ops_per_second > 0 and .sign_ops_per_session == 2'
check "$R" '.ceiling_sessions_per_second > 0 and .ratio > 0'
check "$R" '.server_cpu_seconds > 0 and .server_cpu_ms_per_session > 0'
check "$R" '.phone_cpu_ms_per_session > 0'
check "$R" '.signing_ms_per_session > 0 and .server_signing_share > 0 and .cpu_over_crypto > 0'
check "$R" '(.cpu_over_crypto * .server_signing_share - 1 | fabs) < 0.001'
check "$R" '.server_only_sessions_per_second > 0 and .server_peak_rss_mib > 0'
# The ledger row is durable before the certificate leaves: at least one fsync per install.
check "$R" '.fsync_sessions == 5 and .fsyncs >= 5 and .fsyncs_per_session >= 1'
check "$R" '(.fsync_method | test("strace"))'
check "$R" '.parked == 40 and .server_rss_parked_mib > 0 and (.bytes_per_parked_connection | type) == "number"'
[ -f "$DISK/run/data/opencapf.toml" ] || fail "--work did not keep the data directory"
grep -q 'fdatasync(\|fsync(' "$DISK/run/fsync.strace" || fail "no fsync in the strace log"

step "the online phase: a real cfssl over HTTPS answering at once, then 300 ms late"
expect_exit 0 "$OPENCAPF" bench "${TINY[@]}" --fsync-sessions 0 --ca-delay-ms 300 \
  --ca-sessions 8 --ca-concurrency 2 --json
cp "$WORK/out.txt" "$WORK/online.json"
R=$WORK/online.json
check "$R" '(.online | length) == 2 and .online_concurrency == 2'
check "$R" '.online[0].engine == "cfssl" and .online[1].engine == "cfssl +300 ms"'
check "$R" 'all(.online[]; .sessions == 8 and .succeeded == 8 and .server_cpu_ms_per_session > 0)'
check "$R" 'all(.online[]; .phone_cpu_ms_per_session > 0)'
# Every answer of the late run is held 300 ms, so no install of it is quicker than that.
check "$R" '.online[1].p50_ms >= 300 and .online[1].p50_ms > .online[0].p50_ms'
check "$R" '(.online_delay_cost_seconds - (.online[1].seconds - .online[0].seconds) | fabs) < 1e-6'
# Connections to the CA are kept and reused: 16 requests, 2 at once, need far fewer than 16.
check "$R" '.online_ca_connections >= 1 and .online_ca_connections < 8'

step "a bench killed outright takes its server with it, and the next bench removes its directory"
"$OPENCAPF" bench --sessions 100000 --concurrency 2 --parked 0 --fsync-sessions 0 \
  --data-on tmpfs >/dev/null 2>&1 &
KILLED=$!
for _ in $(seq 1 200); do
  LEFT=$(grep -lx "$KILLED" /dev/shm/opencapf-bench.*/bench.pid 2>/dev/null | head -1 || true)
  [ -n "$LEFT" ] && pgrep -f "serve --data $(dirname "$LEFT")/data" >/dev/null && break
  sleep 0.1
done
[ -n "$LEFT" ] || fail "the bench wrote no bench.pid into its work directory"
LEFT=$(dirname "$LEFT")
kill -9 "$KILLED"
wait "$KILLED" 2>/dev/null || true
for _ in $(seq 1 50); do
  pgrep -f "serve --data $LEFT/data" >/dev/null || break
  sleep 0.1
done
! pgrep -f "serve --data $LEFT/data" >/dev/null || fail "the killed bench's server still runs"
[ -d "$LEFT" ] || fail "expected the killed bench's directory $LEFT to be left behind"
expect_exit 0 "$OPENCAPF" bench "${TINY[@]}" --data-on tmpfs --fsync-sessions 0
[ ! -e "$LEFT" ] || fail "the next bench did not remove $LEFT, left by a killed bench"

step "the same on tmpfs, text output, fsyncs not counted when asked (--fsync-sessions 0)"
before=$(find /dev/shm -maxdepth 1 -name 'opencapf-bench.*' | wc -l)
expect_exit 0 "$OPENCAPF" bench "${TINY[@]}" --phone-key ec:256 --data-on tmpfs --fsync-sessions 0
for line in "data directory:          on tmpfs (tmpfs)" "4 of 4 succeeded" "installs/s" \
  "session latency:" "signatures/s per core" "throughput / ceiling:" "server CPU per install:" \
  "pure crypto per install:" "server CPU / crypto =" "phone key ec:p256" \
  "fsyncs per install:      not counted (not asked (--fsync-sessions 0))"; do
  contains "$WORK/out.txt" "$line"
done
after=$(find /dev/shm -maxdepth 1 -name 'opencapf-bench.*' | wc -l)
[ "$after" -le "$before" ] || fail "the temporary data directory under /dev/shm was not removed"
echo "bench_end_to_end: all passed"
