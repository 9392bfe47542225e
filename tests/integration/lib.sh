# Shared by the end-to-end scripts: a work directory cleaned up at exit, background processes
# stopped at exit, assertions that print the server log when they fail, and starting
# `opencapf serve` on an ephemeral loopback port. Source it after setting OPENCAPF.
# With pipefail on, never pipe into `grep -q` or `head`: they exit at the first match, the writer
# dies of SIGPIPE and the pipeline fails at random. Write to a file and check the file.
set -euo pipefail

WORK=$(mktemp -d /tmp/opencapf-e2e.XXXXXX)
BACKGROUND_PIDS=()
SERVER_PID=
cleanup() {
  for pid in "${BACKGROUND_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${BACKGROUND_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; echo "--- server log ---" >&2; tail -n 40 "$WORK/server.log" >&2 || true; exit 1; }
step() { echo "== $*"; }
# expect_exit CODE command...: runs the command (output in $WORK/out.txt) and checks its exit code.
expect_exit() {
  local want=$1; shift
  set +e; "$@" >"$WORK/out.txt" 2>&1; local got=$?; set -e
  [ "$got" -eq "$want" ] || { cat "$WORK/out.txt" >&2; fail "'$*' exited $got, expected $want"; }
}
contains() { grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "expected '$2' in $1"; }; }
# background LOG command...: starts a process that is stopped at exit.
# The log exists when this returns: a redirection of a command started with & happens in the child,
# later than the caller's next line may look at the file.
background() {
  local log=$1; shift
  : >"$log"
  "$@" >"$log" 2>&1 &
  BACKGROUND_PIDS+=($!)
}
# free_port: a TCP port on 127.0.0.1 that was free a moment ago.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# wait_port PORT: waits (10 s at most) until 127.0.0.1:PORT accepts connections.
wait_port() {
  for _ in $(seq 1 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  fail "nothing listens on 127.0.0.1:$1"
}
# start_server [--admin]: `opencapf serve` for $OPENCAPF_DATA on an ephemeral port (with --admin,
# the admin API too); sets SERVER and SERVER_PID (and API_PORT, API), and defines `phone` (the
# simulated phone against it, trusting $WORK/capf.pem). Waits 30 s at most: a server built with
# sanitizers on a loaded machine starts slowly.
start_server() {
  local args=(serve --listen 127.0.0.1:0)
  [ "${1:-}" = "--admin" ] && args+=(--admin 127.0.0.1:0)
  : >"$WORK/server.log"  # before the child opens it: the reads below must not race its redirection
  "$OPENCAPF" "${args[@]}" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  BACKGROUND_PIDS+=("$SERVER_PID")
  local port=
  API_PORT=
  for _ in $(seq 1 300); do
    port=$(sed -n '/serving phones on 127\.0\.0\.1:/{s/.*serving phones on 127\.0\.0\.1:\([0-9]*\).*/\1/p;q;}' \
      "$WORK/server.log")
    API_PORT=$(sed -n '/admin API on /{s/.*(port \([0-9]*\)).*/\1/p;q;}' "$WORK/server.log")
    [ -n "$port" ] && { [ "${1:-}" != "--admin" ] || [ -n "$API_PORT" ]; } && break
    kill -0 "$SERVER_PID" 2>/dev/null || fail "the server exited"
    sleep 0.1
  done
  [ -n "$port" ] || fail "the server did not report its port"
  [ "${1:-}" != "--admin" ] || [ -n "$API_PORT" ] || fail "the server did not report the admin port"
  SERVER=127.0.0.1:$port
  API=https://127.0.0.1:$API_PORT
  "$OPENCAPF" ca export >"$WORK/capf.pem"
}
phone() { "$OPENCAPF" phone "$@" --server "$SERVER" --capf-cert "$WORK/capf.pem"; }
# make_ca_pair DIR ROOT_CN ISSUING_CN DAYS: an openssl-run root (DIR/root.key, DIR/root.pem, valid
# DAYS + 10 days), an issuing CA it signed (DIR/int.key, DIR/int.pem, DAYS), and DIR/chain.pem
# (the issuing CA, then the root).
make_ca_pair() {
  local dir=$1 root_cn=$2 int_cn=$3 days=$4
  mkdir -p "$dir"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/root.key" -out "$dir/root.pem" \
    -days $((days + 10)) -subj "/CN=$root_cn/O=Example" -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout "$dir/int.key" -out "$dir/int.csr" \
    -subj "/CN=$int_cn/O=Example" 2>/dev/null
  printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >"$dir/int.ext"
  openssl x509 -req -in "$dir/int.csr" -CA "$dir/root.pem" -CAkey "$dir/root.key" -CAcreateserial \
    -days "$days" -sha256 -extfile "$dir/int.ext" -out "$dir/int.pem" 2>/dev/null
  cat "$dir/int.pem" "$dir/root.pem" >"$dir/chain.pem"
}
# wait_log TEXT: waits (10 s at most) until the server log contains TEXT.
wait_log() {
  for _ in $(seq 1 100); do
    grep -qF -- "$1" "$WORK/server.log" && return 0
    sleep 0.1
  done
  fail "the server log never said '$1'"
}
