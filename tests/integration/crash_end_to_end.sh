#!/usr/bin/env bash
# Crash safety: simulated phones renew their LSCs without pause while the server is killed with
# SIGKILL at random moments (half of them just after a phone saved its new LSC, while the server
# records the confirmation) and restarted each time. Afterwards the outstanding operations are
# finished and the registry must hold its promises: `opencapf store check` passes (every installed
# LSC is its device's current one, at most one per device, the replaced ones revoked, no operation
# lost), every device holds the LSC the registry shows, and every install a phone saw confirmed
# is in the ledger.
# Usage: crash_end_to_end.sh /path/to/opencapf
# Environment: CRASH_KILLS (default 20), CRASH_PHONES (default 8), CRASH_MAX_GAP_MS (the longest
# pause between two kills, default 1200).
set -euo pipefail

OPENCAPF=${1:?usage: crash_end_to_end.sh /path/to/opencapf}
source "$(dirname "$0")/lib.sh"

KILLS=${CRASH_KILLS:-20}
PHONES=${CRASH_PHONES:-8}
MAX_GAP_MS=${CRASH_MAX_GAP_MS:-1200}
export OPENCAPF_DATA=$WORK/data
PORT=$(free_port)
SERVER=127.0.0.1:$PORT

# The same port every time, so that the phones need not learn a new one after each restart.
start_fixed_server() {
  echo "--- start" >>"$WORK/server.log"
  "$OPENCAPF" serve --listen "$SERVER" >>"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  BACKGROUND_PIDS+=("$SERVER_PID")
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || fail "the server exited"
    sleep 0.1
  done
  fail "the server did not listen on $SERVER within 30 s"
}

# One phone, renewing until $WORK/stop appears: every session it sees succeed is appended to
# its `confirmed` file, and the next renewal is scheduled at once.
renew_forever() {
  local dev=$1 dir=$WORK/phones/$1 rc
  while [ ! -e "$WORK/stop" ]; do
    rc=0
    "$OPENCAPF" phone "$dev" --state "$dir" --server "$SERVER" --capf-cert "$WORK/capf.pem" \
      --timeout 5 --json >"$dir/last.json" 2>"$dir/last.err" || rc=$?
    if [ "$rc" -eq 0 ]; then
      python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["installed"]["serial"])' \
        "$dir/last.json" >>"$dir/confirmed" || true
    fi
    # 0: done, renew again; 2: no operation (its confirmation committed but the answer was lost
    # in a crash); anything else: the server is down or the session broke, try again.
    if [ "$rc" -eq 0 ] || [ "$rc" -eq 2 ]; then
      "$OPENCAPF" device set "$dev" --op install >/dev/null 2>&1 || true
    else
      sleep 0.05
    fi
  done
}

step "init, $PHONES devices"
"$OPENCAPF" init --subject "CN=CAPF-crash,O=opencapf e2e,C=NZ" --days 400 >"$WORK/init.txt"
DEVICES=()
for i in $(seq 1 "$PHONES"); do
  dev=$(printf 'SEP0000CCCC%04X' "$i")
  DEVICES+=("$dev")
  "$OPENCAPF" device set "$dev" --op install --auth null --key-order ec >/dev/null
  mkdir -p "$WORK/phones/$dev"
  : >"$WORK/phones/$dev/confirmed"
done
: >"$WORK/server.log"
start_fixed_server
"$OPENCAPF" ca export >"$WORK/capf.pem"

# Another writer (an admin's bulk import, a second CLI) keeps taking the registry's write lock for
# a few milliseconds at a time: every registry write of the server then waits its turn, which
# widens the moments between two of them where a kill lands.
hold_write_lock() {
  python3 - "$OPENCAPF_DATA/registry.db" "$WORK/stop" <<'EOF'
import os, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
while not os.path.exists(sys.argv[2]):
    db.execute("BEGIN IMMEDIATE")
    time.sleep(0.02)
    db.execute("COMMIT")
    time.sleep(0.02)
EOF
}

step "phones renew while the server is killed $KILLS times"
WORKERS=()
hold_write_lock &
WORKERS+=($!)
BACKGROUND_PIDS+=($!)
for dev in "${DEVICES[@]}"; do
  renew_forever "$dev" &
  WORKERS+=($!)
  BACKGROUND_PIDS+=($!)
done
# Returns a few milliseconds (0 to 4, at random) after some phone saved a new LSC, i.e. while the
# server is recording that phone's confirmation; after 3 s without one, returns anyway.
await_confirmation() {
  python3 - "$WORK/phones" <<'EOF'
import glob, os, random, sys, time
def stamps():
    out = {}
    for f in glob.glob(sys.argv[1] + "/*/lsc.pem"):
        try:
            out[f] = os.stat(f).st_mtime_ns
        except OSError:
            pass
    return out
before, deadline = stamps(), time.monotonic() + 3
while time.monotonic() < deadline and stamps() == before:
    time.sleep(0.0005)
time.sleep(random.randint(0, 4) / 1000)
EOF
}

# Half the kills land at any moment, half while a confirmation is being recorded.
for kill_no in $(seq 1 "$KILLS"); do
  if [ $((kill_no % 2)) -eq 0 ]; then
    sleep 0.1
    await_confirmation
  else
    sleep "$(python3 -c "import random; print(random.randint(100, $MAX_GAP_MS) / 1000)")"
  fi
  kill -KILL "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  start_fixed_server
done
touch "$WORK/stop"
for pid in "${WORKERS[@]}"; do wait "$pid" || true; done
echo "killed $KILLS times; $(cat "$WORK"/phones/*/confirmed | wc -l) confirmed installs during the load"

step "the outstanding operations finish"
for dev in "${DEVICES[@]}"; do
  for _ in 1 2 3 4 5; do
    rc=0
    "$OPENCAPF" phone "$dev" --state "$WORK/phones/$dev" --server "$SERVER" \
      --capf-cert "$WORK/capf.pem" --timeout 10 --json >"$WORK/last.json" 2>&1 || rc=$?
    if [ "$rc" -eq 0 ]; then
      python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["installed"]["serial"])' \
        "$WORK/last.json" >>"$WORK/phones/$dev/confirmed"
    fi
    [ "$rc" -eq 0 ] || [ "$rc" -eq 2 ] && break
  done
done

step "store check passes beside the running server and after it stopped"
expect_exit 0 "$OPENCAPF" store check
contains "$WORK/out.txt" "registry OK"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
expect_exit 0 "$OPENCAPF" store check --json
contains "$WORK/out.txt" '"ok": true'

step "every phone holds its device's LSC, and no confirmed install is missing from the ledger"
"$OPENCAPF" device list --json >"$WORK/devices.json"
"$OPENCAPF" cert list --json --limit 1000000 >"$WORK/certs.json"
for dev in "${DEVICES[@]}"; do
  [ -s "$WORK/phones/$dev/lsc.pem" ] || fail "$dev holds no LSC"
  openssl x509 -in "$WORK/phones/$dev/lsc.pem" -noout -serial | cut -d= -f2 >"$WORK/phones/$dev/held"
done
python3 - "$WORK" "${DEVICES[@]}" <<'EOF' || fail "the registry and the phones disagree (above)"
import json, sys
work, devices = sys.argv[1], sys.argv[2:]
norm = lambda s: s.strip().lower().lstrip("0")
listed = json.load(open(f"{work}/devices.json"))
listed = listed["devices"] if isinstance(listed, dict) else listed
by_name = {d["name"]: d for d in listed}
certs = {norm(c["serial"]): c for c in json.load(open(f"{work}/certs.json"))}
problems = []
for dev in devices:
    d = by_name.get(dev)
    if d is None:
        problems.append(f"{dev}: missing from the registry"); continue
    if d["operation"] != "none" or d["status"] != "Upgrade Success":
        problems.append(f"{dev}: operation {d['operation']}, status {d['status']}: an operation was lost")
    held = norm(open(f"{work}/phones/{dev}/held").read())
    current = norm(d["lsc"]["serial"]) if d.get("lsc") else ""
    if held != current:
        problems.append(f"{dev}: the phone holds {held}, the registry shows {current or 'no LSC'}")
    installed = [s for s, c in certs.items() if c["device"] == dev and c["state"] == "installed"]
    if installed != [current]:
        problems.append(f"{dev}: installed in the ledger: {installed}, current {current}")
    for serial in map(norm, open(f"{work}/phones/{dev}/confirmed").read().split()):
        c = certs.get(serial)
        if c is None or c["state"] not in ("installed", "revoked"):
            problems.append(f"{dev}: confirmed install {serial} is "
                            f"{'missing' if c is None else c['state']} in the ledger")
        elif c["state"] == "revoked" and c["revocation_reason"] != "superseded":
            problems.append(f"{dev}: {serial} revoked as {c['revocation_reason']}")
print("\n".join(problems) or f"{len(devices)} devices consistent, {len(certs)} certificates")
sys.exit(1 if problems else 0)
EOF

echo "PASS: crash_end_to_end"
