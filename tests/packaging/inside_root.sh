#!/bin/bash
# Runs inside the fresh Debian root of package_end_to_end.sh (chrooted, in a private network
# namespace): installs /tmp/opencapf.deb with dpkg alone (no network: its dependencies are already
# there), verifies the unit, checks what postinst made, the man pages and the completion, starts
# the unit's ExecStart as the unit's User, and has a simulated phone install an LSC through
# loopback.
set -euo pipefail
fail() {
  echo "FAIL (in the root): $*" >&2
  tail -n 30 /tmp/server.log >&2 2>/dev/null || true
  exit 1
}
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8

dpkg -i /tmp/opencapf.deb >/tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log >&2; fail "dpkg -i"; }

unit=/lib/systemd/system/opencapf.service
systemd-analyze verify "$unit" >/tmp/verify.txt 2>&1 || {
  cat /tmp/verify.txt >&2
  fail "systemd-analyze verify $unit"
}
user=$(sed -n 's/^User=//p' "$unit")
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
data=/var/lib/opencapf
[ "$user" = opencapf ] || fail "the unit runs as '$user'"
getent passwd opencapf >/dev/null || fail "postinst made no opencapf user"
[ "$(stat -c '%U:%G %a' "$data")" = "opencapf:opencapf 700" ] ||
  fail "$data is $(stat -c '%U:%G %a' "$data")"
[ "$(readlink "$data/opencapf.toml")" = /etc/opencapf/opencapf.toml ] ||
  fail "$data/opencapf.toml does not point at the conffile"
[ "$(stat -c '%U:%G %a' /etc/opencapf/opencapf.toml)" = "root:opencapf 640" ] ||
  fail "/etc/opencapf/opencapf.toml is $(stat -c '%U:%G %a' /etc/opencapf/opencapf.toml)"
as_user() { runuser -u "$user" -- "$@"; }

# The man pages and the bash completion, as installed, against the installed binary.
man opencapf-serve 2>/dev/null >/tmp/man.txt || fail "man opencapf-serve"
grep -q -- "--listen" /tmp/man.txt || fail "opencapf-serve(1) does not describe --listen"
completion=$(bash -c 'source /usr/share/bash-completion/completions/opencapf
  COMP_WORDS=(opencapf device s) COMP_CWORD=2; _opencapf; echo "${COMPREPLY[*]}"')
[ "$completion" = "set show" ] || fail "completion of 'opencapf device s': '$completion'"

# The unit's command, word for word, as its user (what systemd would start); setpriv execs it, so
# $server is the server itself and gets the signals below.
read -ra command <<<"$exec_start"
setpriv --reuid="$user" --regid="$user" --init-groups -- "${command[@]}" >/tmp/server.log 2>&1 &
server=$!
for _ in $(seq 1 300); do
  grep -q "serving phones on 127.0.0.1:3804" /tmp/server.log && break
  kill -0 $server 2>/dev/null || fail "the server exited"
  sleep 0.1
done
grep -q "serving phones on 127.0.0.1:3804" /tmp/server.log || fail "the server does not listen"
[ "$(stat -c '%U %a' "$data/capf-key.pem")" = "opencapf 600" ] ||
  fail "the CAPF key is $(stat -c '%U %a' "$data/capf-key.pem")"

export OPENCAPF_DATA=$data
as_user opencapf ca export >/tmp/capf.pem
as_user opencapf device set SEP001122334455 --op install --auth string --auth-string 482913 \
  >/dev/null
opencapf phone SEP001122334455 --server 127.0.0.1:3804 --capf-cert /tmp/capf.pem \
  --state /tmp/phone --auth-string 482913 >/tmp/phone.log 2>&1 || {
  cat /tmp/phone.log >&2
  fail "the phone install"
}
as_user opencapf device show SEP001122334455 >/tmp/show.txt
grep -q "Upgrade Success" /tmp/show.txt || { cat /tmp/show.txt >&2; fail "no Upgrade Success"; }
[ -s /tmp/phone/lsc.pem ] || fail "the phone kept no LSC"

kill -HUP $server
for _ in $(seq 1 50); do
  grep -q "reload (SIGHUP)" /tmp/server.log && break
  sleep 0.1
done
grep -q "reload (SIGHUP)" /tmp/server.log || fail "SIGHUP did not reload"
kill -0 $server 2>/dev/null || fail "the server died on SIGHUP"
kill -TERM $server
wait $server || fail "the server exited $? on SIGTERM"
echo "in the root: installed, served a phone as $user, reloaded, stopped"
