#!/usr/bin/env bash
# What opencapf leaves for other local users to read: every file it creates is 0600 (umask 077),
# and an authentication string can come from a file or standard input instead of argv (which
# `ps` shows to everyone). Usage: secrets_end_to_end.sh /path/to/opencapf
OPENCAPF=${1:?usage: secrets_end_to_end.sh /path/to/opencapf}
source "$(dirname "$0")/lib.sh"

DATA=$WORK/data
export OPENCAPF_DATA=$DATA
umask 022  # a usual login umask: opencapf must not depend on the caller's

step "init and registry writes create only owner-only files"
"$OPENCAPF" init --subject "CN=CAPF-secrets,O=opencapf e2e" --days 30 >"$WORK/init.txt"
"$OPENCAPF" device set SEP001122334455 --op install --auth null >/dev/null
# Certificates are public (phones and CUCM get them): the identity code sets the CAPF and admin
# certificates and chains (empty without one) 0644 itself, inside the 0700 directory. Anything else
# must be 0600.
: >"$WORK/open.txt"
while read -r mode path; do
  [ -s "$path" ] || continue
  if grep -q 'BEGIN CERTIFICATE' "$path" && ! grep -q 'PRIVATE\|ENCRYPTED' "$path"; then continue; fi
  echo "$mode $path" >>"$WORK/open.txt"
done < <(find "$DATA" -type f -perm /077 -printf '%m %p\n')
[ ! -s "$WORK/open.txt" ] || { cat "$WORK/open.txt" >&2; fail "files readable by others"; }
find "$DATA" -type f -printf '%m %p\n' >"$WORK/files.txt"
contains "$WORK/files.txt" "600 $DATA/registry.db"

step "--auth-string-file and --auth-string - set the string without putting it in argv"
printf '482913\n' >"$WORK/digits"
"$OPENCAPF" device set SEP0000000000A1 --auth string --auth-string-file "$WORK/digits" >"$WORK/a1.txt"
contains "$WORK/a1.txt" "authentication string: set"
printf '739104\r\n' | "$OPENCAPF" device set SEP0000000000A2 --auth string --auth-string - >"$WORK/a2.txt"
contains "$WORK/a2.txt" "authentication string: set"
# The digits really are the ones given: a phone with them passes, one with others does not.
"$OPENCAPF" device set SEP0000000000A1 --op install >/dev/null
"$OPENCAPF" ca export >"$WORK/capf.pem"
start_server
expect_exit 1 phone SEP0000000000A1 --state "$WORK/phone" --auth-string 000000
phone SEP0000000000A1 --state "$WORK/phone" --auth-string 482913 >"$WORK/phone.txt" 2>&1 ||
  { cat "$WORK/phone.txt" >&2; fail "the phone with the digits from the file was refused"; }

step "bad sources are refused with what to fix, and change nothing"
: >"$WORK/empty"
expect_exit 2 "$OPENCAPF" device set SEP0000000000A3 --auth string --auth-string-file "$WORK/empty"
contains "$WORK/out.txt" "holds no authentication string"
expect_exit 2 "$OPENCAPF" device set SEP0000000000A3 --auth string --auth-string-file "$WORK/nope"
contains "$WORK/out.txt" "cannot read $WORK/nope"
expect_exit 2 "$OPENCAPF" device set SEP0000000000A3 --auth-string 1234 --auth-string-file "$WORK/digits"
expect_exit 1 "$OPENCAPF" device show SEP0000000000A3
"$OPENCAPF" device set --help >"$WORK/help.txt"
contains "$WORK/help.txt" "visible to other local users in ps"

echo "secrets_end_to_end: OK"
