#!/usr/bin/env bash
# `opencapf serve` under a service manager (the unit's Type=notify): a NOTIFY_SOCKET read as systemd
# reads it gets READY=1 only once the CAPF port accepts connections, RELOADING=1 (with
# MONOTONIC_USEC) then READY=1 for a SIGHUP, and STOPPING=1 for SIGTERM, after which the server exits 0.
# Usage: sd_notify_end_to_end.sh OPENCAPF
OPENCAPF=$1
source "$(dirname "$0")/../integration/lib.sh"
export OPENCAPF_DATA=$WORK/data
"$OPENCAPF" init >/dev/null

step "a NOTIFY_SOCKET like systemd's (a datagram socket, one line per message here)"
background "$WORK/receiver.log" python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        out.write(s.recv(4096).decode().replace("\n", " ") + "\n")
' "$WORK/notify.sock" "$WORK/notify.txt"
for _ in $(seq 1 100); do [ -S "$WORK/notify.sock" ] && break; sleep 0.05; done
[ -S "$WORK/notify.sock" ] || fail "the receiver did not bind"
: >"$WORK/notify.txt"
# wait_line N: waits (10 s at most) until notify.txt has N lines.
wait_line() {
  for _ in $(seq 1 200); do
    [ "$(wc -l <"$WORK/notify.txt")" -ge "$1" ] && return 0
    sleep 0.05
  done
  cat "$WORK/notify.txt" >&2
  fail "expected $1 notifications"
}

step "READY=1 once the listener is open"
NOTIFY_SOCKET=$WORK/notify.sock start_server
wait_line 1
[ "$(sed -n 1p "$WORK/notify.txt")" = "READY=1" ] || fail "first notification: $(sed -n 1p "$WORK/notify.txt")"
(exec 3<>"/dev/tcp/${SERVER%:*}/${SERVER#*:}") || fail "READY=1 before $SERVER accepts connections"

step "SIGHUP: RELOADING=1, the reload, READY=1"
kill -HUP "$SERVER_PID"
wait_line 3
grep -qE '^RELOADING=1 MONOTONIC_USEC=[0-9]+$' <(sed -n 2p "$WORK/notify.txt") ||
  fail "second notification: $(sed -n 2p "$WORK/notify.txt")"
[ "$(sed -n 3p "$WORK/notify.txt")" = "READY=1" ] || fail "third notification: $(sed -n 3p "$WORK/notify.txt")"
contains "$WORK/server.log" "reload (SIGHUP)"
kill -0 "$SERVER_PID" || fail "the server died on SIGHUP"

step "SIGTERM: STOPPING=1 and exit 0"
kill -TERM "$SERVER_PID"
status=0
wait "$SERVER_PID" || status=$?
[ "$status" -eq 0 ] || fail "the server exited $status"
wait_line 4
[ "$(sed -n 4p "$WORK/notify.txt")" = "STOPPING=1" ] || fail "fourth notification: $(sed -n 4p "$WORK/notify.txt")"
echo "sd_notify_end_to_end: ok"
